//! `k6r-cli`: parses the command line and hands it to the library.

use clap::Parser;

fn main() {
    let cli = k6r_cli::Cli::parse();
    let code = k6r_cli::run(cli, &mut std::io::stdout(), &mut std::io::stderr());
    std::process::exit(code);
}
