//! AES-CBC (PKCS#7 padding), AES-CTR (a 128-bit big-endian counter, as
//! Go's `cipher.NewCTR`) and AES-GCM (12-byte IVs, tags of 96 to 128
//! bits) with k6's checks and messages, and AES-KW (RFC 3394, which
//! only wraps and unwraps keys).

use aes::{Aes128, Aes192, Aes256};
use aes_gcm::aead::consts::{U12, U13, U14, U15, U16};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::AesGcm;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, StreamCipher};

use super::failure::{dom, Kind, Outcome};
use super::key::Mode;
use super::params::{self, Algorithm};

/// Encrypting or decrypting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Encrypt,
    Decrypt,
}

/// Runs `mode` over `data` with `key` and the parameters of `algorithm`.
pub(crate) fn run(
    mode: Mode,
    direction: Direction,
    algorithm: &Algorithm<'_>,
    key: &[u8],
    data: &[u8],
) -> Outcome<Vec<u8>> {
    match mode {
        Mode::Kw => dom(Kind::NotSupported, "unsupported algorithm AES-KW"),
        Mode::Cbc => {
            let iv = buffer(algorithm, "iv")?;
            if iv.len() != 16 {
                return dom(Kind::Operation, "iv length is not 16 bytes");
            }
            cbc(direction, key, &iv, data)
        }
        Mode::Ctr => {
            let counter = buffer(algorithm, "counter")?;
            if counter.len() != 16 {
                return dom(Kind::Operation, "counter length is not 16 bytes");
            }
            let length = algorithm.number("length")?.unwrap_or(0.0);
            if !(length > 0.0 && length <= 128.0) {
                return dom(
                    Kind::Operation,
                    "invalid counter length, out of the 0 < x < 128 bounds",
                );
            }
            ctr(key, &counter, data)
        }
        Mode::Gcm => {
            let iv = buffer(algorithm, "iv")?;
            if iv.len() != 12 {
                return dom(Kind::NotSupported, "only 12 bytes long iv are supported");
            }
            let tag_bits = algorithm.number("tagLength")?.unwrap_or(128.0);
            if tag_bits == 32.0 || tag_bits == 64.0 {
                return dom(Kind::NotSupported, "tag length 32 and 64 are not supported");
            }
            let tag = [96.0, 104.0, 112.0, 120.0, 128.0]
                .iter()
                .position(|bits| *bits == tag_bits)
                .map(|index| 12 + index);
            let Some(tag) = tag else {
                return dom(
                    Kind::Operation,
                    "invalid tag length, should be one of 96, 104, 112, 120, 128",
                );
            };
            let aad = match algorithm.optional("additionalData")? {
                Some(value) => params::bytes(&value)?,
                None => Vec::new(),
            };
            gcm(direction, key, &iv, tag, &aad, data)
        }
    }
}

/// AES-KW (RFC 3394) over `data`: wrapping takes a multiple of 8 bytes,
/// 16 at least; unwrapping checks the integrity value.
pub(crate) fn kw(direction: Direction, key: &[u8], data: &[u8]) -> Outcome<Vec<u8>> {
    let least = match direction {
        Direction::Encrypt => 16,
        Direction::Decrypt => 24,
    };
    if data.len() % 8 != 0 || data.len() < least {
        return dom(
            Kind::Operation,
            format!("AES-KW data must be a multiple of 8 bytes, {least} at least"),
        );
    }
    macro_rules! with {
        ($cipher:ty) => {
            match aes_kw::Kek::<$cipher>::try_from(key) {
                Ok(kek) => match direction {
                    Direction::Encrypt => kek.wrap_vec(data),
                    Direction::Decrypt => kek.unwrap_vec(data),
                },
                Err(_) => return bad_key(),
            }
        };
    }
    let result = match key.len() {
        16 => with!(Aes128),
        24 => with!(Aes192),
        32 => with!(Aes256),
        _ => return bad_key(),
    };
    result.or_else(|error| match direction {
        Direction::Encrypt => dom(Kind::Operation, format!("could not wrap the key: {error}")),
        Direction::Decrypt => dom(
            Kind::Operation,
            format!("could not unwrap the key: {error}"),
        ),
    })
}

/// A `BufferSource` parameter (empty when missing).
fn buffer(algorithm: &Algorithm<'_>, name: &str) -> Outcome<Vec<u8>> {
    match algorithm.optional(name)? {
        Some(value) => params::bytes(&value),
        None => Ok(Vec::new()),
    }
}

fn bad_key<T>() -> Outcome<T> {
    dom(Kind::Operation, "invalid key length")
}

fn cbc(direction: Direction, key: &[u8], iv: &[u8], data: &[u8]) -> Outcome<Vec<u8>> {
    macro_rules! with {
        ($cipher:ty) => {
            match direction {
                Direction::Encrypt => cbc::Encryptor::<$cipher>::new_from_slices(key, iv)
                    .map(|c| c.encrypt_padded_vec_mut::<Pkcs7>(data))
                    .or_else(|_| bad_key()),
                Direction::Decrypt => match cbc::Decryptor::<$cipher>::new_from_slices(key, iv) {
                    Ok(c) => c
                        .decrypt_padded_vec_mut::<Pkcs7>(data)
                        .or_else(|_| dom(Kind::Operation, "invalid padding")),
                    Err(_) => bad_key(),
                },
            }
        };
    }
    match key.len() {
        16 => with!(Aes128),
        24 => with!(Aes192),
        32 => with!(Aes256),
        _ => bad_key(),
    }
}

fn ctr(key: &[u8], counter: &[u8], data: &[u8]) -> Outcome<Vec<u8>> {
    // The same keystream encrypts and decrypts.
    let mut out = data.to_vec();
    macro_rules! with {
        ($cipher:ty) => {
            match ctr::Ctr128BE::<$cipher>::new_from_slices(key, counter) {
                Ok(mut c) => {
                    c.apply_keystream(&mut out);
                    Ok(out)
                }
                Err(_) => bad_key(),
            }
        };
    }
    match key.len() {
        16 => with!(Aes128),
        24 => with!(Aes192),
        32 => with!(Aes256),
        _ => bad_key(),
    }
}

fn gcm(
    direction: Direction,
    key: &[u8],
    iv: &[u8],
    tag: usize,
    aad: &[u8],
    data: &[u8],
) -> Outcome<Vec<u8>> {
    let payload = Payload { msg: data, aad };
    macro_rules! with {
        ($cipher:ty, $tag:ty) => {{
            let Ok(cipher) = AesGcm::<$cipher, U12, $tag>::new_from_slice(key) else {
                return bad_key();
            };
            let nonce = aes_gcm::Nonce::<U12>::from_slice(iv);
            match direction {
                Direction::Encrypt => cipher
                    .encrypt(nonce, payload)
                    .or_else(|_| dom(Kind::Operation, "could not encrypt plaintext")),
                Direction::Decrypt => cipher
                    .decrypt(nonce, payload)
                    .or_else(|_| dom(Kind::Operation, "could not decrypt ciphertext")),
            }
        }};
    }
    macro_rules! tagged {
        ($cipher:ty) => {
            match tag {
                12 => with!($cipher, U12),
                13 => with!($cipher, U13),
                14 => with!($cipher, U14),
                15 => with!($cipher, U15),
                _ => with!($cipher, U16),
            }
        };
    }
    match key.len() {
        16 => tagged!(Aes128),
        24 => tagged!(Aes192),
        32 => tagged!(Aes256),
        _ => bad_key(),
    }
}
