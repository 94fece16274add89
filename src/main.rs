fn main() -> std::process::ExitCode {
    litops::cli::main()
}
