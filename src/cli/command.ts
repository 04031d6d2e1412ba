/** One CLI subcommand. `run` parses its own flags, prints, and returns the process exit code. */
export interface Command {
  name: string;
  summary: string;
  /** Full help text for `oss-auto-encrypt <name> --help`. */
  help: string;
  run(argv: string[]): Promise<number>;
}
