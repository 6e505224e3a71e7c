//! Issue 19, principle 1: a form never loses what was typed. Over every page of the portal, as
//! every role that sees forms there, each form is filled and refused, and must come back with
//! every value in place; and a mentor's protocol refused for a real reason comes back whole,
//! with the message by the field, in Russian.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use lol_html::{RewriteStrSettings, element, rewrite_str, text};
use server::form_echo::{Echo, Echoes, is_form_action, is_server_fn, refill};
use ustaz_tests::{Browser, TestApp};

use crate::refusals::{Who, concrete_pages};

/// One field of a form as the page shows it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Field {
    pub(crate) tag: String,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) checked: bool,
    /// `<select>`: its options' values, and which is selected.
    pub(crate) options: Vec<(String, bool)>,
    /// `<textarea>`: its text.
    pub(crate) text: String,
    pub(crate) invalid: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Form {
    pub(crate) action: String,
    pub(crate) fields: Vec<Field>,
}

/// The forms of a page that post to a server function (or to the programme editor's handler).
pub(crate) fn forms(html: &str) -> Vec<Form> {
    let found: Rc<RefCell<Vec<Form>>> = Rc::default();
    let (f1, f2, f3, f4, f5, f6) = (
        found.clone(),
        found.clone(),
        found.clone(),
        found.clone(),
        found.clone(),
        found.clone(),
    );
    let field = |el: &lol_html::html_content::Element, tag: &str| Field {
        tag: tag.into(),
        kind: el
            .get_attribute("type")
            .unwrap_or_else(|| "text".into())
            .to_ascii_lowercase(),
        name: el.get_attribute("name").unwrap_or_default(),
        value: el.get_attribute("value").unwrap_or_default(),
        checked: el.has_attribute("checked"),
        invalid: el.get_attribute("aria-invalid").as_deref() == Some("true"),
        ..Field::default()
    };
    rewrite_str(
        html,
        RewriteStrSettings::new()
            .append_element_content_handler(element!("form[method=post]", move |el| {
                f1.borrow_mut().push(Form {
                    action: el.get_attribute("action").unwrap_or_default(),
                    fields: Vec::new(),
                });
                Ok(())
            }))
            .append_element_content_handler(element!("form[method=post] input[name]", move |el| {
                if let Some(f) = f2.borrow_mut().last_mut() {
                    f.fields.push(field(el, "input"));
                }
                Ok(())
            }))
            .append_element_content_handler(element!(
                "form[method=post] textarea[name]",
                move |el| {
                    if let Some(f) = f3.borrow_mut().last_mut() {
                        f.fields.push(field(el, "textarea"));
                    }
                    Ok(())
                }
            ))
            .append_element_content_handler(text!("form[method=post] textarea[name]", move |t| {
                if let Some(field) = f4.borrow_mut().last_mut().and_then(|f| f.fields.last_mut()) {
                    field.text.push_str(t.as_str());
                }
                Ok(())
            }))
            .append_element_content_handler(element!("form[method=post] select[name]", move |el| {
                if let Some(f) = f5.borrow_mut().last_mut() {
                    f.fields.push(field(el, "select"));
                }
                Ok(())
            }))
            .append_element_content_handler(element!(
                "form[method=post] select[name] option[value]",
                move |el| {
                    if let Some(field) =
                        f6.borrow_mut().last_mut().and_then(|f| f.fields.last_mut())
                    {
                        field.options.push((
                            el.get_attribute("value").unwrap_or_default(),
                            el.has_attribute("selected"),
                        ));
                    }
                    Ok(())
                }
            )),
    )
    .unwrap();
    found
        .take()
        .into_iter()
        .filter(|f| is_form_action(&f.action))
        .collect()
}

/// Text that reads back HTML-escaped the same way whatever the field.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// What a person could type into `field`, different from what the page shows; `None` for a
/// field nobody types into.
/// The input type a field of this name must have, so that a phone shows the right keyboard
/// (issue 20): dates, e-mail addresses, phone numbers, counts.
fn keyboard(name: &str) -> Option<&'static str> {
    Some(match name {
        "email" | "admin_email" => "email",
        "phone" => "tel",
        "from" | "to" | "date_of_birth" => "date",
        n if n.ends_with("_on") => "date",
        "minutes" | "attendees" | "capacity" | "residence_months" | "youth_work_years"
        | "days_per_week" => "number",
        _ => return None,
    })
}

fn typed(field: &Field, n: usize) -> Option<String> {
    Some(match (field.tag.as_str(), field.kind.as_str()) {
        ("textarea", _) => format!("Бала {n} туралы: \"көп\" & <аз>\nекінші жол"),
        ("select", _) => {
            // Another option than the one shown, when there is one.
            let other = field.options.iter().rev().find(|(_, selected)| !selected);
            other.or(field.options.last())?.0.clone()
        }
        ("input", "hidden" | "password" | "file" | "submit" | "button" | "reset" | "image") => {
            return None;
        }
        ("input", "checkbox" | "radio") => return None,
        ("input", "number" | "range") => format!("{}", 7 + n),
        ("input", "date") => format!("2031-02-{:02}", 1 + n % 28),
        ("input", "time") => "13:45".into(),
        ("input", "datetime-local") => format!("2031-02-{:02}T13:45", 1 + n % 28),
        ("input", "email") => format!("typed{n}@example.kz"),
        ("input", "tel") => format!("+7 701 000 00 {n:02}"),
        ("input", "url") => format!("https://example.kz/{n}"),
        ("input", "color") => "#123456".into(),
        ("input", "month") => "2031-02".into(),
        ("input", _) => format!("Жазылған {n} «мәтін»"),
        _ => return None,
    })
}

/// `form` as a person who fills it plausibly sends it: what the page shows stays (hidden
/// values, values and selections, ticked boxes), empty fields get a likely value (today for a
/// date, a week ahead for an appointment).
pub(crate) fn filled(form: &Form) -> Vec<(String, String)> {
    let today = ustaz_tests::demo_today();
    let mut sent = Vec::new();
    let mut radios = std::collections::HashSet::new();
    for (n, f) in form.fields.iter().enumerate() {
        let value = match (f.tag.as_str(), f.kind.as_str()) {
            ("textarea", _) if f.text.is_empty() => format!("Проверка {n}"),
            ("textarea", _) => unescape(&f.text),
            ("select", _) => match f.options.iter().find(|(_, s)| *s).or(f.options.first()) {
                Some((v, _)) => v.clone(),
                None => continue,
            },
            ("input", "checkbox") if f.checked => {
                if f.value.is_empty() {
                    "on".into()
                } else {
                    f.value.clone()
                }
            }
            // The ticked one, or else the first of its group.
            ("input", "radio") => {
                let ticked = form.fields.iter().any(|x| x.name == f.name && x.checked);
                if !(f.checked || (!ticked && radios.insert(f.name.clone()))) {
                    continue;
                }
                f.value.clone()
            }
            (
                "input",
                "checkbox" | "password" | "file" | "submit" | "button" | "reset" | "image",
            ) => {
                continue;
            }
            ("input", _) if !f.value.is_empty() => unescape(&f.value),
            ("input", "number" | "range") => "7".into(),
            ("input", "date") => today.to_string(),
            ("input", "time") => "10:00".into(),
            ("input", "datetime-local") => format!("{}T10:00", today + chrono::Days::new(7)),
            ("input", "month") => today.format("%Y-%m").to_string(),
            ("input", "email") => format!("walk{n}@example.kz"),
            ("input", "tel") => format!("+7 701 000 00 {n:02}"),
            ("input", "url") => format!("https://example.kz/{n}"),
            ("input", "hidden") => continue,
            ("input", _) => format!("Проверка {n}"),
            _ => continue,
        };
        sent.push((f.name.clone(), value));
    }
    sent
}

/// A signed-in browser for each role of the demo (the operator and each role of the first
/// tenant), as the walks over every page use them.
pub(crate) async fn signed_in_people(app: &TestApp) -> Vec<(&'static str, Browser)> {
    let mut people = Vec::new();
    for who in [
        "operator@ustaz.demo",
        "admin@almaty-mentors.demo",
        "coordinator@almaty-mentors.demo",
        "psychologist@almaty-mentors.demo",
        "committee@almaty-mentors.demo",
        "trainer@almaty-mentors.demo",
        "mentor@almaty-mentors.demo",
    ] {
        let b = app.browser();
        b.login(who).await;
        people.push((who, b));
    }
    people
}

#[tokio::test]
async fn every_refused_form_on_every_page_comes_back_with_what_was_typed() {
    let app = TestApp::sqlite().await;
    let pages = concrete_pages(&app).await;
    let anonymous = app.browser();
    let people = signed_in_people(&app).await;
    let mut checked_forms = 0;
    let mut checked_fields = 0;
    let mut seen = std::collections::HashSet::new();
    let mut wrong_keyboard = std::collections::BTreeSet::new();
    for (route, who, address) in pages {
        // Each page as the people who can open it (the operator sees no tenant's pages).
        let viewers: Vec<(&str, &Browser)> = match who {
            Who::Public => std::iter::once(("anonymous", &anonymous))
                .chain(people.iter().map(|(w, b)| (*w, b)))
                .collect(),
            Who::Operator | Who::SignedIn => people.iter().map(|(w, b)| (*w, b)).collect(),
            Who::Tenant { .. } => people
                .iter()
                .filter(|(w, _)| !w.starts_with("operator@"))
                .map(|(w, b)| (*w, b))
                .collect(),
        };
        for (person, browser) in viewers {
            let res = browser.get(&address).await;
            if res.status() != 200 {
                continue;
            }
            let html = res.text().await.unwrap();
            for form in forms(&html) {
                // The phone shows the keyboard the field needs (issue 20).
                for field in &form.fields {
                    if let Some(want) = keyboard(&field.name)
                        && field.tag == "input"
                        && field.kind != "hidden"
                        && field.kind != want
                    {
                        wrong_keyboard.insert(format!(
                            "{route}: {} is type={}, not {want}",
                            field.name, field.kind
                        ));
                    }
                }
                // A form without a CSRF field is one of the sign-in pages': refused with a wrong
                // token it cannot be, and a right one would sign in or register.
                if !form.fields.iter().any(|f| f.name == "csrf") {
                    continue;
                }
                let mut sent: Vec<(String, String)> = Vec::new();
                let mut expected: Vec<(Field, String)> = Vec::new();
                for (n, field) in form.fields.iter().enumerate() {
                    if field.name == "csrf" {
                        // Refused before anything is written.
                        sent.push(("csrf".into(), "not-the-token".into()));
                    } else if let Some(value) = typed(field, n) {
                        sent.push((field.name.clone(), value.clone()));
                        expected.push((field.clone(), value));
                    } else if field.kind == "checkbox" {
                        // Tick what is not ticked, untick what is.
                        if !field.checked {
                            let value = if field.value.is_empty() {
                                "on".into()
                            } else {
                                field.value.clone()
                            };
                            sent.push((field.name.clone(), value));
                        }
                        expected.push((field.clone(), String::new()));
                    } else if field.kind == "hidden" {
                        sent.push((field.name.clone(), field.value.clone()));
                    }
                }
                if expected.is_empty() {
                    continue;
                }
                // One check per server function and role is enough (the language switch is on
                // every page).
                if !seen.insert((person, form.action.clone())) {
                    continue;
                }
                let res = browser
                    .client
                    .post(format!("{}{}", browser.base, form.action))
                    .header("Accept", "text/html")
                    .header("Origin", &browser.base)
                    .header("Referer", format!("{}{address}", browser.base))
                    .form(&sent)
                    .send()
                    .await
                    .unwrap();
                let context = format!("{route} as {person}, form {}", form.action);
                assert!(res.status().is_redirection(), "{context}: {}", res.status());
                let back = res.headers()["location"].to_str().unwrap().to_string();
                assert!(
                    back.contains("__err=") && back.contains("__echo="),
                    "{context}: {back}"
                );
                let again = browser.get(back.trim_start_matches(&browser.base)).await;
                assert_eq!(again.status(), 200, "{context}");
                let html = again.text().await.unwrap();
                // The same form: same server function, same hidden values (a page may have one
                // such form per document or per person).
                let hidden = |f: &Form| -> Vec<(String, String)> {
                    f.fields
                        .iter()
                        // The form's own token is drawn afresh with the page.
                        .filter(|x| x.kind == "hidden" && x.name != "csrf" && x.name != "once")
                        .map(|x| (x.name.clone(), x.value.clone()))
                        .collect()
                };
                let shown = forms(&html)
                    .into_iter()
                    .find(|f| f.action == form.action && hidden(f) == hidden(&form))
                    .unwrap_or_else(|| panic!("{context}: the form is gone"));
                let mut used = std::collections::HashMap::<&str, usize>::new();
                for (field, value) in &expected {
                    let index = used.entry(field.name.as_str()).or_default();
                    let same: Vec<&Field> = shown
                        .fields
                        .iter()
                        .filter(|f| f.name == field.name && f.tag == field.tag)
                        .collect();
                    let now = if field.kind == "checkbox" {
                        // The box for this value.
                        same.iter().find(|f| f.value == field.value).copied()
                    } else {
                        same.get(*index).copied()
                    };
                    *index += 1;
                    let now =
                        now.unwrap_or_else(|| panic!("{context}: field {} is gone", field.name));
                    match (field.tag.as_str(), field.kind.as_str()) {
                        ("textarea", _) => {
                            assert_eq!(unescape(&now.text), *value, "{context}: {}", field.name)
                        }
                        ("select", _) => assert!(
                            now.options
                                .iter()
                                .any(|(v, selected)| v == value && *selected),
                            "{context}: {} shows {:?}, typed {value}",
                            field.name,
                            now.options
                        ),
                        (_, "checkbox") => {
                            assert_eq!(now.checked, !field.checked, "{context}: {}", field.name)
                        }
                        _ => assert_eq!(unescape(&now.value), *value, "{context}: {}", field.name),
                    }
                    checked_fields += 1;
                }
                checked_forms += 1;
            }
        }
    }
    // The portal has dozens of forms; a walk that found a handful walked nothing.
    assert!(checked_forms >= 25, "only {checked_forms} forms checked");
    eprintln!("{checked_forms} forms and {checked_fields} fields came back as typed");
    assert!(
        wrong_keyboard.is_empty(),
        "fields with the wrong keyboard on a phone:\n{}",
        wrong_keyboard.into_iter().collect::<Vec<_>>().join("\n")
    );
}

/// The case the review saw: a mentor's protocol, refused for a date in the future, came back
/// empty. Now every field is in place and the date says what is wrong with it, in Russian.
#[tokio::test]
async fn a_mentors_protocol_refused_for_its_date_comes_back_whole_with_the_reason_by_the_date() {
    let app = TestApp::sqlite().await;
    let (_, _, pair) = crate::refusals::pair_of(&app).await;
    let mentor = app.browser();
    mentor.login("mentor@almaty-mentors.demo").await;
    let csrf = mentor.csrf().await;
    mentor
        .post_form("/", "/api/set_language", &[("lang", "ru"), ("csrf", &csrf)])
        .await;
    let page = format!("/t/almaty-mentors/pairs/{pair}");
    let html = mentor.get(&page).await.text().await.unwrap();
    let form = forms(&html)
        .into_iter()
        .find(|f| f.action == "/api/log_meeting_form")
        .expect("the mentor's protocol form");
    let hidden = |name: &str| {
        form.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.clone())
            .unwrap_or_default()
    };
    let future = (ustaz_tests::demo_today() + chrono::Days::new(30)).to_string();
    let essay = "Говорили о школе.\nОн боится экзамена по математике.";
    // Sent from the page as it stands after an earlier protocol was saved (its notice in the
    // address): the refusal comes back alone (principle 3).
    let res = mentor
        .post_form(
            &format!("{page}?done=logged"),
            "/api/log_meeting_form",
            &[
                ("csrf", &hidden("csrf")),
                ("slug", &hidden("slug")),
                ("pair", &hidden("pair")),
                ("held_on", &future),
                ("minutes", "75"),
                ("format", "outing"),
                ("issues", essay),
                ("agreements", "Заниматься по средам"),
                ("mood", "good"),
                ("next_steps", "Купить тетради"),
            ],
        )
        .await;
    let back = res.headers()["location"].to_str().unwrap().to_string();
    assert!(back.contains("__echo="), "{back}");
    assert!(back.contains("__err="), "{back}");
    assert!(
        !back.contains("done="),
        "the earlier success's notice stays beside the refusal: {back}"
    );
    let back = back.trim_start_matches(&mentor.base).to_string();
    let html = mentor.get(&back).await.text().await.unwrap();
    let shown = forms(&html)
        .into_iter()
        .find(|f| f.action == "/api/log_meeting_form")
        .unwrap();
    let field = |name: &str| {
        shown
            .fields
            .iter()
            .find(|f| f.name == name)
            .unwrap()
            .clone()
    };
    assert_eq!(field("held_on").value, future);
    assert!(field("held_on").invalid, "the date is marked");
    assert_eq!(field("minutes").value, "75");
    assert_eq!(unescape(&field("issues").text), essay);
    assert_eq!(unescape(&field("agreements").text), "Заниматься по средам");
    assert_eq!(unescape(&field("next_steps").text), "Купить тетради");
    assert!(
        field("format")
            .options
            .iter()
            .any(|(v, s)| v == "outing" && *s)
    );
    // The reason sits in the date's label, in Russian.
    let label_end = html
        .find(r#"id="echo-error""#)
        .expect("the message by the field");
    let date_input = html.find(r#"name="held_on""#).unwrap();
    assert!(label_end > date_input, "after the date field");
    assert!(
        html[label_end..]
            .split("</span>")
            .next()
            .unwrap()
            .chars()
            .any(|c| ('а'..='я').contains(&c)),
        "in Russian"
    );
    // Nothing was recorded.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM meetings WHERE minutes = 75")
            .await,
        0
    );
    // The values are this browser's only: another session following the same address gets
    // the empty form.
    let other = app.browser();
    other.login("mentor@almaty-mentors.demo").await;
    let html = other.get(&back).await.text().await.unwrap();
    assert!(!html.contains("Купить тетради"));
}

// ---------------------------------------------------------------- the rewriting itself

fn echo(fields: &[(&str, &str)], invalid: Option<(&str, &str)>) -> Echo {
    Echo {
        owner: None,
        path: "/api/log_meeting_form".into(),
        fields: fields
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        invalid: invalid.map(|(f, m)| (f.to_string(), m.to_string())),
        made: Instant::now(),
    }
}

const PAGE: &str = r#"<form method="post" action="/api/other"><input name="held_on"/></form>
<form method="post" action="/api/log_meeting_form" class="form">
<input type="hidden" name="csrf" value="page-token"/>
<input type="hidden" name="pair" value="p1"/>
<label>Date<input type="date" name="held_on" required/></label>
<label>Minutes<input type="number" name="minutes" value="60"/></label>
<label>Format<select name="format"><option value="in_person" selected>In person</option><option value="online">Online</option></select></label>
<label>Issues<textarea name="issues" maxlength="4000"></textarea></label>
<label><input type="checkbox" name="private"/>Private</label>
<label>Password<input type="password" name="password"/></label>
</form>"#;

#[test]
fn every_field_of_the_refused_form_comes_back_and_no_other_form_changes() {
    let e = echo(
        &[
            ("csrf", "attacker"),
            ("pair", "p1"),
            ("held_on", "2099-01-01"),
            ("minutes", "45"),
            ("format", "online"),
            ("issues", "He said <b>\"no\"</b> & left"),
            ("private", "on"),
            ("password", "secret"),
        ],
        Some(("held_on", "The date is in the future.")),
    );
    let out = refill(PAGE, &e).unwrap();
    // The other form is as it was.
    assert!(
        out.starts_with(
            r#"<form method="post" action="/api/other"><input name="held_on"/></form>"#
        )
    );
    assert!(out.contains(r#"name="held_on" required value="2099-01-01" aria-invalid="true" autofocus="" aria-describedby="echo-error" />"#), "{out}");
    assert!(
        out.contains(
            r#"<span class="field-error" id="echo-error">The date is in the future.</span></label>"#
        ),
        "{out}"
    );
    assert!(out.contains(r#"name="minutes" value="45" />"#), "{out}");
    assert!(
        out.contains(
            r#"<option value="in_person">In person</option><option value="online" selected="">"#
        ),
        "{out}"
    );
    assert!(
        out.contains(r#"He said &lt;b&gt;"no"&lt;/b&gt; &amp; left</textarea>"#),
        "{out}"
    );
    assert!(out.contains(r#"name="private" checked="" />"#), "{out}");
    // Hidden values are the page's own; a password is never sent back.
    assert!(out.contains(r#"name="csrf" value="page-token""#));
    assert!(out.contains(r#"name="pair" value="p1""#));
    assert!(!out.contains("secret") && !out.contains("attacker"));
    // A form whose hidden values differ is another form (another document, another pair).
    let other_pair = echo(&[("pair", "p2"), ("minutes", "45")], None);
    assert!(!refill(PAGE, &other_pair).unwrap().contains("45"));
    // One message.
    assert_eq!(out.matches("field-error").count(), 1);
}

#[test]
fn of_several_forms_to_one_function_only_the_one_sent_is_refilled() {
    let page = r#"<form action="/api/log_meeting_form"><input type="hidden" name="id" value="a"/><textarea name="issues"></textarea></form><form action="/api/log_meeting_form"><input type="hidden" name="id" value="b"/><textarea name="issues"></textarea></form>"#;
    let out = refill(page, &echo(&[("id", "b"), ("issues", "typed")], None)).unwrap();
    assert_eq!(out.matches("typed").count(), 1, "{out}");
    assert!(
        out.ends_with(r#"<textarea name="issues">typed</textarea></form>"#),
        "{out}"
    );
}

#[test]
fn typed_markup_stays_text() {
    let page = r#"<form method="post" action="/api/log_meeting_form"><input name="minutes"/><textarea name="issues"></textarea></form>"#;
    let out = refill(
        page,
        &echo(
            &[
                ("minutes", r#""><script>alert(1)</script>"#),
                ("issues", "</textarea><script>alert(2)</script>"),
            ],
            None,
        ),
    )
    .unwrap();
    // Inside the attribute and the text area it is text: the page has no script element.
    let scripts = Rc::new(RefCell::new(0));
    let count = scripts.clone();
    rewrite_str(
        &out,
        RewriteStrSettings::new().append_element_content_handler(element!("script", move |_| {
            *count.borrow_mut() += 1;
            Ok(())
        })),
    )
    .unwrap();
    assert_eq!(*scripts.borrow(), 0, "{out}");
    let shown = forms(&out);
    assert_eq!(
        shown[0].fields[0].value,
        r#"&quot;><script>alert(1)</script>"#
    );
}

#[test]
fn an_unticked_box_stays_unticked() {
    let page = r#"<form action="/api/log_meeting_form"><input type="checkbox" name="private" checked/></form>"#;
    let out = refill(page, &echo(&[("minutes", "1")], None)).unwrap();
    assert!(out.contains(r#"name="private" />"#), "{out}");
}

#[test]
fn kept_values_go_only_to_their_browser_and_once() {
    let echoes = Echoes::default();
    let mine = Some([1u8; 32]);
    let key = echoes.put(Echo {
        owner: mine,
        ..echo(&[("issues", "x")], None)
    });
    assert!(
        echoes.take(&key, Some([2u8; 32])).is_none(),
        "another browser"
    );
    let key = echoes.put(Echo {
        owner: mine,
        ..echo(&[("issues", "x")], None)
    });
    assert!(echoes.take(&key, mine).is_some());
    assert!(echoes.take(&key, mine).is_none(), "only once");
}

#[test]
fn only_server_function_paths_make_selectors() {
    assert!(is_server_fn("/api/log_meeting_form"));
    assert!(!is_server_fn("/api/v1/t/x"));
    assert!(!is_server_fn(r#"/api/x"] , script"#));
    assert!(!is_server_fn("/t/x/pairs"));
    assert!(is_form_action("/api/log_meeting_form"));
    assert!(is_form_action("/t/almaty-mentors/programmes/save"));
    assert!(!is_form_action("/t//programmes/save"));
    assert!(!is_form_action(r#"/t/x"]/programmes/save"#));
    assert!(!is_form_action("/t/x/pairs"));
}

/// Issue 19, principle 6: a person's mistake in a server function is a 4xx, never a 500 (the
/// access log writes ERROR for every 5xx). Played as the hydrated page calls them (no redirect).
#[tokio::test]
async fn a_persons_mistake_in_a_server_function_is_a_4xx_not_a_500() {
    let app = TestApp::sqlite().await;
    let admin = app.browser();
    admin.login("admin@almaty-mentors.demo").await;
    let operator = app.browser();
    operator.login("operator@ustaz.demo").await;
    let call = |b: &Browser, path: &'static str, fields: Vec<(&'static str, String)>| {
        let request = b
            .client
            .post(format!("{}{path}", b.base))
            .header("Origin", &b.base)
            .form(&fields);
        async move {
            let res = request.send().await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let csrf = admin.csrf().await;
    let region = |name: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("slug", "almaty-mentors".to_string()),
            ("name", name.to_string()),
        ]
    };
    let (status, body) = call(&admin, "/api/create_region", region("Түркістан")).await;
    assert!(status < 300, "{status} {body}");
    let (status, body) = call(&admin, "/api/create_region", region("Түркістан")).await;
    assert_eq!(status, 409, "a region that exists: {body}");
    let (status, body) = call(&admin, "/api/create_region", region("  ")).await;
    assert_eq!(status, 422, "an empty name: {body}");
    let (status, body) = call(
        &admin,
        "/api/request_report",
        vec![
            ("csrf", csrf.clone()),
            ("slug", "almaty-mentors".into()),
            ("from", "2026-13-01".into()),
            ("to", "2026-12-31".into()),
        ],
    )
    .await;
    assert_eq!(status, 422, "a month that does not exist: {body}");
    let (status, body) = call(
        &admin,
        "/api/set_display",
        vec![
            ("csrf", csrf.clone()),
            ("large_text", "maybe".into()),
            ("high_contrast", "false".into()),
        ],
    )
    .await;
    assert_eq!(
        status, 422,
        "a display setting that is neither on nor off: {body}"
    );
    assert!(body.contains("error-display-invalid"), "{body}");
    let csrf = operator.csrf().await;
    let (status, body) = call(
        &operator,
        "/api/create_tenant",
        vec![
            ("csrf", csrf.clone()),
            ("slug", "almaty-mentors".into()),
            ("name", "Again".into()),
            ("default_locale", "ru".into()),
            ("time_zone", "Asia/Almaty".into()),
            ("lead_tenant_slug", String::new()),
            ("admin_email", "again@example.kz".into()),
        ],
    )
    .await;
    assert_eq!(status, 409, "a slug that is taken: {body}");
    // A field the function cannot read at all is the caller's fault too.
    let (status, body) = call(&admin, "/api/create_region", vec![("csrf", csrf)]).await;
    assert_eq!(status, 400, "missing arguments: {body}");
}
