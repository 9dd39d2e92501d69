fn main() -> std::process::ExitCode {
    eventlab::cli::main()
}
