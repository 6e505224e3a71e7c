//! Secrets: random tokens for cookies and links (stored only as SHA-256), and argon2id password
//! hashes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh 256-bit random token, URL-safe.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a token: enough to find it, useless to an attacker.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn hash_password(password: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let salt = SaltString::encode_b64(&bytes).expect("16 bytes make a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters cannot fail")
        .to_string()
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Spends the same time as a real verification, so an unknown e-mail answers as slowly as a
/// wrong password and the two cannot be told apart.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash_password("not a real password, never matches"));
    let _ = verify_password(password, phc);
}

/// Argon2 spends tens of milliseconds of CPU and 19 MiB on every hash. Run on the async threads,
/// a flood of registrations or sign-ins would stall every other request; so it runs on the
/// blocking pool, at most one per core at a time, and the rest wait their turn.
async fn off_the_async_threads<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    let _permit = HASHING
        .acquire()
        .await
        .expect("the semaphore is never closed");
    tokio::task::spawn_blocking(work)
        .await
        .expect("argon2 does not panic")
}

/// [`hash_password`] off the async threads.
pub async fn hash_password_async(password: &str) -> String {
    let password = password.to_owned();
    off_the_async_threads(move || hash_password(&password)).await
}

/// [`verify_password`] off the async threads.
pub async fn verify_password_async(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_owned(), phc.to_owned());
    off_the_async_threads(move || verify_password(&password, &phc)).await
}

/// [`verify_against_dummy`] off the async threads.
pub async fn verify_against_dummy_async(password: &str) {
    let password = password.to_owned();
    off_the_async_threads(move || verify_against_dummy(&password)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_round_trip_uses_argon2id() {
        let phc = hash_password("ustaz-demo-password");
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("ustaz-demo-password", &phc));
        assert!(!verify_password("wrong", &phc));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
    }
}
