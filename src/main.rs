use std::process::ExitCode;

fn main() -> ExitCode {
    holdings::cli::main()
}
