//! `http.batch()`: requests in parallel on the VU's own task, bounded by the
//! `batch` and `batchPerHost` options, results in request order.

use std::collections::HashMap;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::client::{Client, Outcome};
use crate::request::Request;

impl Client {
    /// Runs `reqs` concurrently (no task is spawned: the futures are polled
    /// together, so nothing needs to be `Send`). A request takes its host's
    /// slot before a global one, so a host at its limit does not hold global
    /// slots other hosts could use.
    pub async fn batch(&self, reqs: Vec<Request>, cancel: &CancellationToken) -> Vec<Outcome> {
        let limit = |n: usize| if n == 0 { Semaphore::MAX_PERMITS } else { n };
        let global = Semaphore::new(limit(self.options().batch));
        let mut hosts: HashMap<String, Semaphore> = HashMap::new();
        for r in &reqs {
            hosts
                .entry(host_of(&r.url))
                .or_insert_with(|| Semaphore::new(limit(self.options().batch_per_host)));
        }
        let futures = reqs.into_iter().map(|r| {
            let host = &hosts[&host_of(&r.url)];
            let global = &global;
            async move {
                let _h = host.acquire().await.ok();
                let _g = global.acquire().await.ok();
                self.request(r, cancel).await
            }
        });
        futures_util::future::join_all(futures).await
    }
}

fn host_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!(
            "{}:{}",
            u.host_str().unwrap_or(""),
            u.port_or_known_default().unwrap_or(0)
        ),
        Err(_) => String::new(),
    }
}
