//! HMAC signatures over the SHA family.

use hmac::{Mac, SimpleHmac};
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};

use super::key::Hash;

fn mac<D>(key: &[u8], data: &[u8]) -> SimpleHmac<D>
where
    D: sha2::Digest + sha2::digest::core_api::BlockSizeUser,
{
    // HMAC takes keys of any length.
    let mut mac = match <SimpleHmac<D> as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(data);
    mac
}

/// The signature of `data`.
pub(crate) fn sign(hash: Hash, key: &[u8], data: &[u8]) -> Vec<u8> {
    match hash {
        Hash::Sha1 => mac::<Sha1>(key, data).finalize().into_bytes().to_vec(),
        Hash::Sha256 => mac::<Sha256>(key, data).finalize().into_bytes().to_vec(),
        Hash::Sha384 => mac::<Sha384>(key, data).finalize().into_bytes().to_vec(),
        Hash::Sha512 => mac::<Sha512>(key, data).finalize().into_bytes().to_vec(),
    }
}

/// Whether `signature` signs `data` (compared in constant time).
pub(crate) fn verify(hash: Hash, key: &[u8], signature: &[u8], data: &[u8]) -> bool {
    match hash {
        Hash::Sha1 => mac::<Sha1>(key, data).verify_slice(signature).is_ok(),
        Hash::Sha256 => mac::<Sha256>(key, data).verify_slice(signature).is_ok(),
        Hash::Sha384 => mac::<Sha384>(key, data).verify_slice(signature).is_ok(),
        Hash::Sha512 => mac::<Sha512>(key, data).verify_slice(signature).is_ok(),
    }
}

/// The digest of `data` under `hash`.
pub(crate) fn digest(hash: Hash, data: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    match hash {
        Hash::Sha1 => Sha1::digest(data).to_vec(),
        Hash::Sha256 => Sha256::digest(data).to_vec(),
        Hash::Sha384 => Sha384::digest(data).to_vec(),
        Hash::Sha512 => Sha512::digest(data).to_vec(),
    }
}
