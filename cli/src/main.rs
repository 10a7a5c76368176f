//! `k6r-cli`: parses the command line and hands it to the library.

use clap::Parser;

// The VUs' allocator (see k6r_runner::allocator).
#[global_allocator]
static ALLOCATOR: k6r_runner::Allocator = k6r_runner::Allocator;

fn main() {
    let cli = k6r_cli::Cli::parse();
    // A connection per VU needs a file each, as in k6 (Go raises it too).
    k6r_listen::raise_file_limit();
    let code = k6r_cli::run(cli, &mut std::io::stdout(), &mut std::io::stderr());
    std::process::exit(code);
}
