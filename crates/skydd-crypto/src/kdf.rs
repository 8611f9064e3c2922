//! HMAC-SHA-256 with 32-byte keys, and the one key derivation Skydd uses: HKDF-Expand.
//!
//! Every key Skydd uses besides the master keys themselves is derived from a master key with a
//! fixed label, so one master key never serves two purposes directly: the wrapping key of a key
//! version, the blind index key, the check value. The master keys are 256 uniformly random
//! bits, so they are already pseudorandom keys and HKDF's extract step is skipped (RFC 5869,
//! section 3.3); one 32-byte output block of HKDF-Expand is `HMAC(master, label || 0x01)`.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

/// HMAC-SHA-256 keyed with `key`, ready for `update`.
pub(crate) fn hmac_sha256(key: &[u8; 32]) -> Hmac<Sha256> {
    // HMAC pads a key shorter than the hash's block (64 bytes for SHA-256) with zeros, so
    // passing the zero-padded block to the infallible constructor is HMAC with the 32-byte key
    // itself (RFC 2104, section 2).
    let mut block = hmac::digest::Key::<Hmac<Sha256>>::default();
    block[..key.len()].copy_from_slice(key);
    let mac = <Hmac<Sha256> as KeyInit>::new(&block);
    block[..].zeroize();
    mac
}

/// The first 32 bytes of HKDF-Expand(`prk`, `label`) with SHA-256 (RFC 5869, section 2.3).
pub(crate) fn expand(prk: &[u8; 32], label: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut mac = hmac_sha256(prk);
    mac.update(label);
    mac.update(&[0x01]);
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        data_encoding::HEXLOWER.decode(s.as_bytes()).unwrap()
    }

    #[test]
    fn expand_matches_rfc_5869_test_case_1() {
        // RFC 5869, appendix A.1: PRK and info as given there; the first 32 bytes of the OKM.
        let prk: [u8; 32] = hex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
            .try_into()
            .unwrap();
        let info = hex("f0f1f2f3f4f5f6f7f8f9");
        assert_eq!(
            expand(&prk, &info).to_vec(),
            hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf")
        );
    }

    #[test]
    fn hmac_with_a_32_byte_key_is_standard_hmac() {
        // RFC 4231 uses other key lengths; compare with the slice constructor instead.
        let key = [0x0b; 32];
        let mut ours = hmac_sha256(&key);
        ours.update(b"Hi There");
        let mut theirs = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        theirs.update(b"Hi There");
        assert_eq!(ours.finalize().into_bytes(), theirs.finalize().into_bytes());
    }
}
