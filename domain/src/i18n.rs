//! Translations for every user-facing string: pages, emails, API messages and reports.
//!
//! One Fluent catalogue per language lives in `domain/locales/<lang>.ftl`. The same catalogue
//! serves the server, the worker and the wasm bundle, so a message is translated once.
//! `tests::catalogues_have_the_same_keys` keeps kk, ru and en in step.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{Loader, static_loader};
use serde::{Deserialize, Serialize};
use unic_langid::{LanguageIdentifier, langid};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Unicode isolation marks around arguments confuse e-mail clients and tests alike.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The three languages of the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    Kk,
    #[default]
    Ru,
    En,
}

impl Locale {
    pub const ALL: [Locale; 3] = [Locale::Kk, Locale::Ru, Locale::En];

    pub fn code(self) -> &'static str {
        match self {
            Locale::Kk => "kk",
            Locale::Ru => "ru",
            Locale::En => "en",
        }
    }

    /// The language's own name, as shown in the language switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::Kk => "Қазақша",
            Locale::Ru => "Русский",
            Locale::En => "English",
        }
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            Locale::Kk => langid!("kk"),
            Locale::Ru => langid!("ru"),
            Locale::En => langid!("en"),
        }
    }

    /// Picks the first supported language of an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        header
            .split(',')
            .filter_map(|part| part.split(';').next())
            .filter_map(|tag| tag.trim().split('-').next())
            .find_map(|primary| primary.parse().ok())
    }

    /// Translates `key`. A missing key shows the key itself, which the catalogue test prevents.
    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(&self.langid(), key)
    }

    /// Translates `key` with named arguments (`{ $name }` in the catalogue).
    pub fn t_args(self, key: &str, args: &[(&'static str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.clone())))
            .collect();
        LOCALES.lookup_with_args(&self.langid(), key, &map)
    }

    /// Like `t_args`, with owned argument names (arguments carried in data, e.g. API reasons).
    pub fn t_map(self, key: &str, args: &std::collections::BTreeMap<String, String>) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Owned(k.clone()), FluentValue::from(v.clone())))
            .collect();
        LOCALES.lookup_with_args(&self.langid(), key, &map)
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported language {0:?}: use kk, ru or en")]
pub struct UnknownLocale(pub String);

impl FromStr for Locale {
    type Err = UnknownLocale;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "kk" | "kz" => Ok(Locale::Kk),
            "ru" => Ok(Locale::Ru),
            "en" => Ok(Locale::En),
            other => Err(UnknownLocale(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The crate's folder as the test runs, not as it was built: a test binary built in one
    /// checkout and found fresh in another (they share CI's target directory) must read the
    /// files of the checkout it runs in.
    fn crate_dir() -> std::path::PathBuf {
        std::env::var_os("CARGO_MANIFEST_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
    }

    fn keys(lang: &str) -> BTreeSet<String> {
        let path = crate_dir().join(format!("locales/{lang}.ftl"));
        let text = std::fs::read_to_string(&path).expect("catalogue exists");
        text.lines()
            .filter(|l| !l.starts_with([' ', '#', '\t']) && l.contains(" ="))
            .map(|l| l.split(" =").next().unwrap().trim().to_string())
            .collect()
    }

    #[test]
    fn catalogues_have_the_same_keys() {
        let en = keys("en");
        assert!(en.len() > 50, "the English catalogue looks empty");
        for lang in ["kk", "ru"] {
            let other = keys(lang);
            let missing: Vec<_> = en.difference(&other).collect();
            let extra: Vec<_> = other.difference(&en).collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
            assert!(extra.is_empty(), "{lang} has keys English lacks: {extra:?}");
        }
    }

    /// Every `"error-…"` code the domain can return has a message (a missing one would show
    /// its key to the user).
    #[test]
    fn every_error_code_in_the_domain_has_a_message() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let en = keys("en");
        let mut files = Vec::new();
        walk(&crate_dir().join("src"), &mut files);
        let mut missing = BTreeSet::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for part in text.split("\"error-").skip(1) {
                let code: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
                    .collect();
                // A prefix completed at run time (`format!("error-{x}")`) is not a key.
                if part[code.len()..].starts_with('"') && !code.is_empty() && !code.ends_with('-') {
                    let key = format!("error-{code}");
                    if !en.contains(&key) {
                        missing.insert(key);
                    }
                }
            }
        }
        assert!(missing.is_empty(), "no message for {missing:?}");
    }

    /// Every literal key the portal and the e-mails translate (`t("…")`, `t_args("…"`) is in
    /// the catalogue: a missing one would show its key to the reader.
    #[test]
    fn every_key_the_portal_uses_has_a_message() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let en = keys("en");
        let root = crate_dir();
        let mut files = Vec::new();
        walk(&root.join("../frontend/src"), &mut files);
        walk(&root.join("src"), &mut files);
        let mut missing = BTreeSet::new();
        let mut seen = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for opener in ["t(\"", "t_args(\""] {
                for part in text.split(opener).skip(1) {
                    let key: String = part
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
                        .collect();
                    if part[key.len()..].starts_with('"') && key.contains('-') {
                        seen += 1;
                        if !en.contains(&key) {
                            missing.insert(key);
                        }
                    }
                }
            }
        }
        assert!(
            seen > 300,
            "the scan found only {seen} keys: is it still reading the portal?"
        );
        assert!(missing.is_empty(), "no message for {missing:?}");
    }

    #[test]
    fn translates_in_each_language_with_arguments() {
        assert_eq!(Locale::En.t("nav-sign-in"), "Sign in");
        assert_eq!(Locale::Ru.t("nav-sign-in"), "Войти");
        assert_eq!(Locale::Kk.t("nav-sign-in"), "Кіру");
        let s = Locale::En.t_args("login-welcome", &[("name", "Aigerim".into())]);
        assert!(s.contains("Aigerim"), "{s}");
    }

    #[test]
    fn accept_language_picks_first_supported() {
        assert_eq!(
            Locale::from_accept_language("de-DE,kk;q=0.8,ru;q=0.5"),
            Some(Locale::Kk)
        );
        assert_eq!(Locale::from_accept_language("fr"), None);
        assert_eq!("KZ".parse::<Locale>(), Ok(Locale::Kk));
    }
}
