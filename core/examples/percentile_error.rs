//! bench: p50/p90/p95/p99 of a trend sink against the exact percentiles of
//! the same 2 million samples (k6's interpolation on the sorted values).
//!
//!     cargo run --release -p k6r-core --example percentile_error
//!
//! The samples imitate HTTP latencies: a log-normal body around 20 ms with
//! a slow tail, from a fixed-seed generator so every run sees the same data.

use k6r_core::metrics::sink::TrendSink;

fn main() {
    const N: usize = 2_000_000;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut uniform = move || {
        // xorshift64*: deterministic, good enough for test data.
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        (seed.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut values = Vec::with_capacity(N);
    let mut sink = TrendSink::default();
    for i in 0..N {
        // Box-Muller for a normal, exponentiated: log-normal latencies.
        let (u1, u2) = (uniform().max(1e-12), uniform());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        let mut v = (3.0 + 0.6 * z).exp(); // median e^3 ≈ 20 ms
        if i % 100 == 0 {
            v *= 20.0; // 1 % slow tail
        }
        values.push(v);
        sink.add(v);
    }
    values.sort_by(f64::total_cmp);
    let exact = |p: f64| {
        let i = p / 100.0 * (N - 1) as f64;
        let (lo, hi) = (values[i.floor() as usize], values[i.ceil() as usize]);
        lo + (hi - lo) * (i - i.floor())
    };
    println!(
        "samples: {N}, histogram bytes: {}",
        sink.histogram().heap_bytes()
    );
    println!("| percentile | exact ms | histogram ms | relative error |");
    println!("|---|---|---|---|");
    for p in [50.0, 90.0, 95.0, 99.0] {
        let (want, got) = (exact(p), sink.percentile(p));
        let err = (got - want).abs() / want;
        println!("| p({p}) | {want:.4} | {got:.4} | {:.3} % |", err * 100.0);
    }
}
