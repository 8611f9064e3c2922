//! Random bytes from the operating system, the only source of keys and token secrets.

/// The operating system could not provide random bytes (for example very early during boot,
/// or in a sandbox that forbids `getrandom(2)`). Nothing was generated; retrying later may work.
#[derive(Debug, thiserror::Error)]
#[error("the operating system could not provide random bytes: {0}")]
pub struct RandomError(getrandom::Error);

/// Fill `buf` with random bytes from the operating system.
pub(crate) fn fill(buf: &mut [u8]) -> Result<(), RandomError> {
    getrandom::fill(buf).map_err(RandomError)
}

/// `N` random bytes from the operating system, for identifiers that must not be guessable
/// (subject and record ids).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut bytes = [0u8; N];
    fill(&mut bytes)?;
    Ok(bytes)
}
