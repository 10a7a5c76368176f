//! Password-protected `tlsAuth` keys: PEM blocks encrypted the legacy
//! (OpenSSL "traditional") way, with `Proc-Type: 4,ENCRYPTED` and
//! `DEK-Info` headers, which k6 reads with `tlsAuth.password`. The key is
//! derived from the password with MD5 (OpenSSL's `EVP_BytesToKey`, one
//! round, the IV's first 8 bytes as salt) and the block decrypted in CBC
//! mode. Encrypted PKCS #8 (`ENCRYPTED PRIVATE KEY`) is refused, as k6
//! refuses it.

use aes::cipher::{block_padding::Pkcs7, BlockCipher, BlockDecryptMut, KeyInit, KeyIvInit};
use base64::Engine as _;
use md5::{Digest, Md5};
use tokio_rustls::rustls::pki_types::{
    PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};

use crate::tls::TlsError;

/// The key of `pem` decrypted with `password`.
pub(crate) fn decrypt(pem: &str, password: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    let block = Block::parse(pem).ok_or(TlsError::Encrypted("failed to decode PEM key".into()))?;
    if block.label == "ENCRYPTED PRIVATE KEY" {
        return Err(TlsError::Encrypted(
            "encrypted pkcs8 formatted key is not supported".into(),
        ));
    }
    let der = match block.dek_info {
        Some((cipher, iv)) => decrypt_block(&cipher, &iv, password.as_bytes(), block.body)?,
        // Not encrypted: Go decrypts nothing and fails the same way.
        None => {
            return Err(TlsError::Encrypted(
                "x509: no DEK-Info header in block".into(),
            ))
        }
    };
    Ok(match block.label.as_str() {
        "RSA PRIVATE KEY" => PrivatePkcs1KeyDer::from(der).into(),
        "EC PRIVATE KEY" => PrivateSec1KeyDer::from(der).into(),
        _ => PrivatePkcs8KeyDer::from(der).into(),
    })
}

struct Block {
    label: String,
    /// `DEK-Info`: the cipher's name and the IV.
    dek_info: Option<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Block {
    /// The first PEM block of `text`, its headers and decoded body.
    fn parse(text: &str) -> Option<Block> {
        let mut lines = text.lines().map(str::trim);
        let label = lines
            .by_ref()
            .find_map(|l| l.strip_prefix("-----BEGIN ")?.strip_suffix("-----"))?
            .to_string();
        let mut dek_info = None;
        let mut body = String::new();
        for line in lines {
            if line.starts_with("-----END ") {
                let body = base64::engine::general_purpose::STANDARD
                    .decode(body)
                    .ok()?;
                return Some(Block {
                    label,
                    dek_info,
                    body,
                });
            }
            if let Some(value) = line.strip_prefix("DEK-Info:") {
                let (cipher, iv) = value.trim().split_once(',')?;
                dek_info = Some((cipher.to_string(), hex::decode(iv.trim()).ok()?));
            } else if !line.contains(':') {
                body.push_str(line);
            }
        }
        None
    }
}

fn decrypt_block(
    cipher: &str,
    iv: &[u8],
    password: &[u8],
    mut data: Vec<u8>,
) -> Result<Vec<u8>, TlsError> {
    let key_len = match cipher {
        "DES-CBC" => 8,
        "DES-EDE3-CBC" => 24,
        "AES-128-CBC" => 16,
        "AES-192-CBC" => 24,
        "AES-256-CBC" => 32,
        other => {
            return Err(TlsError::Encrypted(format!(
                "x509: unknown encryption mode {other}"
            )))
        }
    };
    let block_len = if cipher.starts_with("AES") { 16 } else { 8 };
    if iv.len() != block_len || iv.len() < 8 {
        return Err(TlsError::Encrypted("x509: incorrect IV size".into()));
    }
    let key = derive_key(password, &iv[..8], key_len);
    let plain = match cipher {
        "DES-CBC" => cbc_decrypt::<des::Des>(&key, iv, &mut data),
        "DES-EDE3-CBC" => cbc_decrypt::<des::TdesEde3>(&key, iv, &mut data),
        "AES-128-CBC" => cbc_decrypt::<aes::Aes128>(&key, iv, &mut data),
        "AES-192-CBC" => cbc_decrypt::<aes::Aes192>(&key, iv, &mut data),
        _ => cbc_decrypt::<aes::Aes256>(&key, iv, &mut data),
    }
    // A wrong password leaves bad padding (Go's check, and its message).
    .ok_or_else(|| TlsError::Encrypted("x509: decryption password incorrect".into()))?;
    data.truncate(plain);
    Ok(data)
}

/// Decrypts `data` in place; the plaintext's length, `None` when the
/// padding is wrong.
fn cbc_decrypt<C>(key: &[u8], iv: &[u8], data: &mut [u8]) -> Option<usize>
where
    C: BlockDecryptMut + BlockCipher + KeyInit,
{
    let decryptor = cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?;
    Some(decryptor.decrypt_padded_mut::<Pkcs7>(data).ok()?.len())
}

/// OpenSSL's `EVP_BytesToKey` with MD5 and one round.
fn derive_key(password: &[u8], salt: &[u8], len: usize) -> Vec<u8> {
    let mut key = Vec::with_capacity(len + 16);
    let mut previous: Vec<u8> = Vec::new();
    while key.len() < len {
        let mut md5 = Md5::new();
        md5.update(&previous);
        md5.update(password);
        md5.update(salt);
        previous = md5.finalize().to_vec();
        key.extend_from_slice(&previous);
    }
    key.truncate(len);
    key
}
