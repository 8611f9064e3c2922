//! Ed25519 signatures over audit-trail checkpoints, with a key derived from master key version 1.
//!
//! The audit trail is a hash chain; a signed checkpoint (the sequence number and hash of the
//! chain's head at some moment) makes truncating the tail detectable: a checkpoint names an
//! entry that must exist with that hash. The signing key is derived with HKDF-Expand from
//! master key **version 1** and the label `skydd audit checkpoint signing v1`, so it needs no
//! file of its own, survives key rotation, and is exactly as protected as the master key file
//! (mode 0600). Whoever holds that file can sign checkpoints too: export the
//! [`CheckpointSigner::public_key`] and checkpoints to a witness outside the data directory for
//! protection against the operator of the data directory.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::kdf;

/// The HKDF label of the checkpoint signing key.
const SIGNING_LABEL: &[u8] = b"skydd audit checkpoint signing v1";

/// The length of a signature in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// The length of a public key in bytes.
pub const PUBLIC_KEY_LEN: usize = 32;

/// Signs audit checkpoints. Never shows its key in `Debug`.
pub struct CheckpointSigner {
    key: SigningKey,
}

impl CheckpointSigner {
    /// The signer derived from master key version 1.
    pub(crate) fn derive(master_v1: &[u8; 32]) -> CheckpointSigner {
        let seed = kdf::expand(master_v1, SIGNING_LABEL);
        CheckpointSigner {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// Sign `message` (a checkpoint's canonical bytes).
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.key.sign(message).to_bytes()
    }

    /// The public key that verifies this signer's signatures; give it to a witness.
    pub fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.key.verifying_key().to_bytes()
    }
}

impl std::fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointSigner")
            .field(
                "public_key",
                &data_encoding::HEXLOWER.encode(&self.public_key()),
            )
            .finish_non_exhaustive()
    }
}

/// Whether `signature` is a valid signature of `message` by `public_key` (strict verification:
/// no malleable or small-order forms).
pub fn verify_checkpoint(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Ok(public_key) = <[u8; PUBLIC_KEY_LEN]>::try_from(public_key) else {
        return false;
    };
    let Ok(signature) = <[u8; SIGNATURE_LEN]>::try_from(signature) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&public_key) else {
        return false;
    };
    key.verify_strict(message, &Signature::from_bytes(&signature))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_any_change_breaks_it() {
        let signer = CheckpointSigner::derive(&[7; 32]);
        let signature = signer.sign(b"checkpoint 1");
        let public = signer.public_key();
        assert!(verify_checkpoint(&public, b"checkpoint 1", &signature));
        assert!(!verify_checkpoint(&public, b"checkpoint 2", &signature));
        let mut flipped = signature;
        flipped[10] ^= 1;
        assert!(!verify_checkpoint(&public, b"checkpoint 1", &flipped));
        let other = CheckpointSigner::derive(&[8; 32]);
        assert!(!verify_checkpoint(
            &other.public_key(),
            b"checkpoint 1",
            &signature
        ));
        assert!(!verify_checkpoint(
            &public,
            b"checkpoint 1",
            &signature[..63]
        ));
    }

    #[test]
    fn the_key_is_deterministic_per_master_key() {
        assert_eq!(
            CheckpointSigner::derive(&[7; 32]).public_key(),
            CheckpointSigner::derive(&[7; 32]).public_key()
        );
    }
}
