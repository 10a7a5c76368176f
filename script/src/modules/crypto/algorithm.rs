//! The hash functions of `k6/crypto` by their k6 names, as streaming
//! states that can be finished any number of times (a Hasher's `digest()`
//! does not reset it in k6, and later `update`s continue the stream).

use hmac::{Mac, SimpleHmac};
use md4::Md4;
use md5::Md5;
use ripemd::Ripemd160;
use sha1::Sha1;
use sha2::digest::core_api::BlockSizeUser;
use sha2::{Digest, Sha256, Sha384, Sha512, Sha512_224, Sha512_256};

/// A hash algorithm k6 knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Algorithm {
    Md4,
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
    Sha512_224,
    Sha512_256,
    Ripemd160,
}

impl Algorithm {
    /// Every algorithm, in the order of the module's exports.
    pub(crate) const ALL: [Algorithm; 9] = [
        Algorithm::Md4,
        Algorithm::Md5,
        Algorithm::Sha1,
        Algorithm::Sha256,
        Algorithm::Sha384,
        Algorithm::Sha512,
        Algorithm::Sha512_224,
        Algorithm::Sha512_256,
        Algorithm::Ripemd160,
    ];

    /// k6's name (`sha512_224`), also the name of the module's function.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Algorithm::Md4 => "md4",
            Algorithm::Md5 => "md5",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
            Algorithm::Sha512_224 => "sha512_224",
            Algorithm::Sha512_256 => "sha512_256",
            Algorithm::Ripemd160 => "ripemd160",
        }
    }

    /// The algorithm named `name` (case-sensitive, as in k6).
    pub(crate) fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    /// A fresh hash state.
    pub(crate) fn hash(self) -> Box<dyn State> {
        match self {
            Algorithm::Md4 => Box::new(Md4::new()),
            Algorithm::Md5 => Box::new(Md5::new()),
            Algorithm::Sha1 => Box::new(Sha1::new()),
            Algorithm::Sha256 => Box::new(Sha256::new()),
            Algorithm::Sha384 => Box::new(Sha384::new()),
            Algorithm::Sha512 => Box::new(Sha512::new()),
            Algorithm::Sha512_224 => Box::new(Sha512_224::new()),
            Algorithm::Sha512_256 => Box::new(Sha512_256::new()),
            Algorithm::Ripemd160 => Box::new(Ripemd160::new()),
        }
    }

    /// A fresh HMAC state keyed with `key`.
    pub(crate) fn hmac(self, key: &[u8]) -> Box<dyn State> {
        match self {
            Algorithm::Md4 => keyed::<Md4>(key),
            Algorithm::Md5 => keyed::<Md5>(key),
            Algorithm::Sha1 => keyed::<Sha1>(key),
            Algorithm::Sha256 => keyed::<Sha256>(key),
            Algorithm::Sha384 => keyed::<Sha384>(key),
            Algorithm::Sha512 => keyed::<Sha512>(key),
            Algorithm::Sha512_224 => keyed::<Sha512_224>(key),
            Algorithm::Sha512_256 => keyed::<Sha512_256>(key),
            Algorithm::Ripemd160 => keyed::<Ripemd160>(key),
        }
    }
}

/// A running hash or HMAC.
pub(crate) trait State {
    /// Feeds `data`.
    fn update(&mut self, data: &[u8]);
    /// The digest of everything fed so far; the state goes on.
    fn finish(&self) -> Vec<u8>;
}

impl<D: Digest + Clone> State for D {
    fn update(&mut self, data: &[u8]) {
        Digest::update(self, data);
    }

    fn finish(&self) -> Vec<u8> {
        self.clone().finalize().to_vec()
    }
}

struct Keyed<D: Digest + BlockSizeUser>(SimpleHmac<D>);

impl<D: Digest + BlockSizeUser + Clone> State for Keyed<D> {
    fn update(&mut self, data: &[u8]) {
        Mac::update(&mut self.0, data);
    }

    fn finish(&self) -> Vec<u8> {
        self.0.clone().finalize().into_bytes().to_vec()
    }
}

fn keyed<D: Digest + BlockSizeUser + Clone + 'static>(key: &[u8]) -> Box<dyn State> {
    // HMAC takes keys of any length.
    match SimpleHmac::<D>::new_from_slice(key) {
        Ok(mac) => Box::new(Keyed(mac)),
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    }
}

/// `data`'s digest under `algorithm` in one go.
pub(crate) fn digest(algorithm: Algorithm, data: &[u8]) -> Vec<u8> {
    let mut state = algorithm.hash();
    state.update(data);
    state.finish()
}
