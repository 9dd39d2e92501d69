//! The command line (the contract's "Command line" section).
//!
//! Exit codes: 0 all expectations hold (or nothing to check), 1 an expectation failed,
//! 2 bad input or usage — always one clear line on stderr, never a panic; 128 + the signal
//! when SIGTERM, SIGINT or SIGHUP stops a headless run or the TUI ([`crate::run::signals`]).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod tap;

use crate::lessons;
use crate::scenario::load::{Limits, load_file, load_str};
use crate::scenario::model::Scenario;
use crate::tui::theme::Theme;

/// The largest `--max-steps`: step numbers are 32-bit in the compact trace.
pub const MAX_STEPS_CEILING: u64 = crate::trace::MAX_STEPS;

#[derive(Debug, Parser)]
#[command(name = "eventlab", version, about = "A terminal laboratory for event-driven architecture")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The lesson picker's colours (bare `eventlab`); see `run --theme`.
    #[arg(long, value_name = "THEME", value_parser = theme_parser())]
    pub theme: Option<Theme>,
}

/// `--theme`: default, mono (no colour; also when `NO_COLOR` is set) or light (for a white
/// background); clap lists the names in `--help` and the completions.
fn theme_parser() -> impl clap::builder::TypedValueParser<Value = Theme> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Theme::NAMES).map(|name: String| name.parse().unwrap_or_default())
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario file or a built-in lesson.
    Run(RunArgs),
    /// Validate a scenario file without running it.
    Check {
        file: PathBuf,
        /// Refuse scenarios estimated to need more steps than this.
        #[arg(long, default_value_t = Limits::default().max_steps)]
        max_steps: u64,
        /// Refuse scenarios estimated to need more memory than this: bytes, or a size such
        /// as 512MiB, 2GiB.
        #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = parse_size)]
        max_memory: u64,
    },
    /// Print the JSON Schema of the scenario format.
    Schema,
    /// List the built-in lessons, or print one lesson's scenario file (to copy and edit).
    Lessons {
        /// A lesson's name: print its scenario file.
        #[arg(value_name = "NAME")]
        name: Option<String>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
    /// Open a recorded trace (JSON Lines written by --trace).
    Replay(ReplayArgs),
    /// Compare two runs (traces, scenario files or lessons): figures, findings, first step apart.
    Diff(DiffArgs),
    /// Export a run as a Mermaid or SVG diagram, Perfetto or OTLP traces, or CSV metrics.
    Export(ExportArgs),
    /// Run a scenario once per seed on every core, drawing its `explore` fault templates,
    /// and shrink the first failing seed to a scenario file that replays it.
    Explore(ExploreArgs),
    /// Read a real Kafka-protocol cluster live: its records, groups and lag in every view.
    Tap(TapArgs),
}

#[derive(Debug, clap::Args)]
pub struct TapArgs {
    /// The cluster: HOST:PORT (several, comma-separated).
    #[arg(long, value_name = "HOST:PORT")]
    pub brokers: String,
    /// Only these topics (default: every topic but the cluster's internal ones).
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub topics: Option<Vec<String>>,
    /// Only these consumer groups (default: every group).
    #[arg(long, value_name = "G,H", value_delimiter = ',')]
    pub groups: Option<Vec<String>>,
    /// Where to start reading each partition: earliest (the whole log) or latest (only
    /// what is produced from now on).
    #[arg(long, value_name = "earliest|latest", default_value = "earliest")]
    pub from: String,
    /// Stop after this long (e.g. 30s, 5m); default: until q (or Ctrl-C, headless).
    #[arg(long = "for", value_name = "DURATION")]
    pub run_for: Option<String>,
    /// Print the summary when it stops instead of opening the TUI (implied by --json).
    #[arg(long)]
    pub headless: bool,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Write what was read as a trace (JSON Lines, atomically) when it stops.
    #[arg(long, value_name = "OUT.jsonl")]
    pub trace: Option<PathBuf>,
    /// The TUI's colours: default, mono (no colour, as `NO_COLOR` asks) or light.
    #[arg(long, value_name = "THEME", value_parser = theme_parser())]
    pub theme: Option<Theme>,
}

#[derive(Debug, clap::Args)]
pub struct ExploreArgs {
    /// A scenario file, or the name of a built-in lesson (an existing path wins).
    #[arg(value_name = "FILE|LESSON")]
    pub target: String,
    /// The seeds: N (0 to N-1) or A..B (A to B-1); default the section's `seeds`, else 1000.
    #[arg(long, value_name = "N|A..B", value_parser = parse_seeds)]
    pub seeds: Option<std::ops::Range<u64>>,
    /// Threads to run seeds on (default: one per core); the report is the same whatever it is.
    #[arg(long, value_name = "J", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// The folder the reproduction file is written to.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Open the reproduction in the TUI at its first finding.
    #[arg(long)]
    pub open: bool,
    /// Explore one of the scenario's "what if" variants.
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Refuse or stop a run that needs more steps than this.
    #[arg(long, default_value_t = Limits::default().max_steps)]
    pub max_steps: u64,
}

/// `--seeds`: `N` (seeds 0 to N-1) or `A..B` (A to B-1), at least one seed.
pub fn parse_seeds(text: &str) -> Result<std::ops::Range<u64>, String> {
    let number = |t: &str| {
        t.parse::<u64>().map_err(|_| format!("\"{text}\" is not a seed count N or a range A..B (e.g. 1000, 100..200)"))
    };
    let range = match text.split_once("..") {
        Some((a, b)) => number(a)?..number(b)?,
        None => 0..number(text)?,
    };
    if range.is_empty() {
        return Err(format!("\"{text}\" holds no seed: explore needs at least 1"));
    }
    Ok(range)
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The run before: a trace, a scenario file or a lesson.
    #[arg(value_name = "A")]
    pub a: String,
    /// The run after: a trace, a scenario file or a lesson.
    #[arg(value_name = "B")]
    pub b: String,
    /// Override B's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run one of B's "what if" variants.
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Override A's seed.
    #[arg(long)]
    pub seed_a: Option<u64>,
    /// Run one of A's "what if" variants.
    #[arg(long, value_name = "NAME")]
    pub variant_a: Option<String>,
    /// Print the comparison as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// A trace, a scenario file, or the name of a built-in lesson (run to its end first).
    #[arg(value_name = "TRACE|FILE|LESSON")]
    pub source: String,
    /// mermaid, svg, perfetto, otlp or csv.
    #[arg(long, value_name = "FORMAT")]
    pub format: String,
    /// Only the events of this correlation id (a chain's first event id, e.g. evt-000001).
    #[arg(long, value_name = "ID")]
    pub correlation: Option<String>,
    /// From this virtual time on (e.g. 1.5s, 250ms).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Up to this virtual time (included).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run one of the scenario's "what if" variants.
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Where virtual time 0 is in OTLP's times (RFC 3339).
    #[arg(long, value_name = "RFC3339", default_value = "2026-01-01T00:00:00Z")]
    pub epoch: String,
    /// The CSV's (and Perfetto's lag counters') time bucket.
    #[arg(long, value_name = "DURATION", default_value = "100ms")]
    pub bucket: String,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// A trace written by `run --headless --trace`.
    #[arg(value_name = "TRACE.jsonl")]
    pub trace: PathBuf,
    /// Print the recorded run's summary instead of opening the TUI (implied by --json).
    #[arg(long)]
    pub headless: bool,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// The TUI's colours: default, mono (no colour, as `NO_COLOR` asks) or light (for a
    /// white background).
    #[arg(long, value_name = "THEME", value_parser = theme_parser())]
    pub theme: Option<Theme>,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// A scenario file, or the name of a built-in lesson (an existing path wins).
    #[arg(value_name = "FILE|LESSON")]
    pub target: String,
    /// Run without the TUI and print a summary (implied by --json).
    #[arg(long)]
    pub headless: bool,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write the trace as JSON Lines (atomically).
    #[arg(long, value_name = "OUT.jsonl")]
    pub trace: Option<PathBuf>,
    /// Refuse or stop a run that needs more steps than this.
    #[arg(long, default_value_t = Limits::default().max_steps)]
    pub max_steps: u64,
    /// Refuse a run estimated to need more memory than this, and stop one whose steps
    /// outgrow it: bytes, or a size such as 512MiB, 2GiB.
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = parse_size)]
    pub max_memory: u64,
    /// Run one of the scenario's "what if" variants (`eventlab lessons` lists a lesson's).
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// The TUI's colours: default, mono (no colour, as `NO_COLOR` asks) or light (for a
    /// white background).
    #[arg(long, value_name = "THEME", value_parser = theme_parser())]
    pub theme: Option<Theme>,
    /// Play the scenario's producers and consumers against a real Kafka-protocol cluster
    /// (HOST:PORT[,HOST:PORT...]) in real time and check what really happened.
    #[arg(long, value_name = "HOST:PORT")]
    pub broker: Option<String>,
    /// With --broker: run this many times faster than real time (e.g. 10).
    #[arg(long, value_name = "X", default_value_t = 1.0, value_parser = parse_speed, requires = "broker")]
    pub speed: f64,
    /// With --broker: use topics that exist with more partitions than the scenario's (the
    /// extra partitions are ignored).
    #[arg(long, requires = "broker")]
    pub reuse_topics: bool,
}

/// `--speed`: a positive, finite factor.
fn parse_speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(speed) if speed.is_finite() && speed > 0.0 && speed <= 1000.0 => Ok(speed),
        _ => Err(format!("\"{text}\" is not a speed: a number greater than 0, at most 1000 (e.g. 10)")),
    }
}

/// A failure with its exit code and one-line message.
struct Failure(u8, String);

/// Exit 2 with `message`, made safe to print as one line (user text escaped and cut; see
/// [`crate::scenario::load::safe_message`]).
fn usage(message: impl Into<String>) -> Failure {
    Failure(2, crate::scenario::load::safe_message(&message.into()))
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // A usage error: clap's first line ("error: unexpected argument '--bogus' found"),
            // one line as the contract asks, and where to read more.
            // A first line that ends in ':' lists what it means below (the missing
            // arguments): those lines join it.
            let text = e.render().to_string();
            let first: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
            let first = if first.is_empty() { "error: bad usage".to_owned() } else { first.join(" ") };
            eprintln!("{} (see `eventlab --help`)", crate::scenario::load::safe_message(&first));
            return ExitCode::from(2);
        }
        Err(e) => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    match dispatch(cli) {
        Ok(code) => code,
        Err(Failure(code, message)) => {
            eprintln!("{message}");
            ExitCode::from(code)
        }
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        None => picker(cli.theme),
        Some(Command::Run(mut args)) if args.broker.is_some() => {
            args.theme = args.theme.or(cli.theme);
            broker_run(&args)
        }
        Some(Command::Run(args)) if args.headless || args.json => run(&args),
        // `eventlab --theme mono run X` as `eventlab run X --theme mono`.
        Some(Command::Run(mut args)) => {
            args.theme = args.theme.or(cli.theme);
            tui(&args)
        }
        Some(Command::Check { file, max_steps, max_memory }) => {
            let limits = limits(max_steps, max_memory)?;
            let scenario = load_file(&file, &limits).map_err(|e| usage(e.to_string()))?;
            let estimate = crate::scenario::validate::estimate_steps(&scenario);
            let memory = crate::scenario::validate::estimate_memory(&scenario, Some(estimate));
            // What takes most of it, when that is more than the program itself.
            let most = memory
                .largest()
                .filter(|part| part.bytes >= 64 << 20)
                .map(|part| format!(" (most of it {})", part.what))
                .unwrap_or_default();
            let variants = match scenario.variants.len() {
                0 => String::new(),
                n => format!(", {n} variant{}", if n == 1 { "" } else { "s" }),
            };
            println!(
                "{}: ok — \"{}\": {} topics, {} producers, {} consumers, {} expectations{variants}; about {} steps, \
                 about {} of memory{most}",
                file.display(),
                scenario.name,
                scenario.topics.len(),
                scenario.producers.len(),
                scenario.consumers.len(),
                scenario.expect.len(),
                estimate,
                crate::scenario::validate::format_bytes(memory.total())
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Schema) => {
            out(crate::scenario::schema::json_schema_text())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Lessons { name: None }) => {
            out(lessons_text()?)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Lessons { name: Some(name) }) => {
            let Some(lesson) = lessons::find(&name) else {
                let hint = crate::scenario::suggest::did_you_mean(&name, lessons::LESSONS.iter().map(|l| l.name));
                return Err(usage(format!("no lesson named \"{name}\"{hint} (`eventlab lessons` lists them)")));
            };
            out(lesson.source)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory as _;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "eventlab", &mut script);
            out(script)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => {
            use clap::CommandFactory as _;
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|e| usage(format!("eventlab: cannot write the man page: {e}")))?;
            out(page)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Replay(mut args)) => {
            args.theme = args.theme.or(cli.theme);
            replay(&args)
        }
        Some(Command::Diff(args)) => diff(&args),
        Some(Command::Export(args)) => export(&args),
        Some(Command::Explore(args)) => explore(&args),
        Some(Command::Tap(mut args)) => {
            args.theme = args.theme.or(cli.theme);
            tap::tap(&args)
        }
    }
}

/// `eventlab export`: every flag checked before the run is computed; the export written to
/// standard output or, atomically, to `--out`.
fn export(args: &ExportArgs) -> Result<ExitCode, Failure> {
    use crate::export::{Format, Options, Run};
    let time = |flag: &str, text: &Option<String>| {
        text.as_deref()
            .map(|t| crate::scenario::value::Duration::parse(t).map(crate::scenario::value::Duration::as_micros))
            .transpose()
            .map_err(|e| usage(format!("{flag}: {e}")))
    };
    let mut options = Options::new(Format::parse(&args.format).map_err(usage)?);
    options.correlation.clone_from(&args.correlation);
    options.from = time("--from", &args.from)?;
    options.to = time("--to", &args.to)?;
    options.epoch_nanos = crate::export::parse_epoch(&args.epoch).map_err(usage)?;
    options.bucket_us = time("--bucket", &Some(args.bucket.clone()))?.unwrap_or(0);
    if let Some(path) = &args.out {
        // Before the run: a folder, a device or a missing folder is refused at once.
        crate::trace::file::Target::resolve(path)
            .map_err(|e| usage(format!("{}: cannot write: {e}", path.display())))?;
    }
    let request =
        crate::run::source::Request { target: &args.source, seed: args.seed, variant: args.variant.as_deref() };
    let (source, warning) =
        crate::run::source::compute(&request, &crate::scenario::limits::Limits::default()).map_err(usage)?;
    if let Some(warning) = warning {
        eprintln!("{warning}");
    }
    let run = Run::of(&source.run);
    let written = if let Some(path) = &args.out {
        crate::export::write_file(&run, &options, path)
    } else {
        let mut stdout = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
        crate::export::write(&run, &options, &mut stdout)
            .and_then(|()| std::io::Write::flush(&mut stdout).map_err(Into::into))
    };
    match written {
        Ok(()) => {}
        Err(crate::export::ExportError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(usage(e.to_string())),
    }
    std::mem::forget(source);
    Ok(ExitCode::SUCCESS)
}

/// Writes to standard output; a reader that went away (`eventlab man | head`) is no error.
fn out(text: impl AsRef<[u8]>) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_ref()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(usage(format!("eventlab: cannot write: {e}"))),
        _ => Ok(()),
    }
}

/// `eventlab lessons`: one line per lesson (its name and title), then one indented line per
/// variant (`--variant NAME` and what it changes).
fn lessons_text() -> Result<String, Failure> {
    use std::fmt::Write as _;
    let width = lessons::LESSONS.iter().map(|l| l.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for lesson in lessons::LESSONS {
        let scenario =
            load_str(lesson.source, &lesson.origin(), &Limits::default()).map_err(|e| usage(e.to_string()))?;
        let _ = writeln!(out, "{:width$}  {}", lesson.name, scenario.name);
        let variant_width = scenario.variants.iter().map(|v| v.name.len()).max().unwrap_or(0);
        for variant in &scenario.variants {
            let _ =
                writeln!(out, "{:width$}    --variant {:variant_width$}  {}", "", variant.name, variant.description);
        }
    }
    Ok(out)
}

/// Reads a recorded trace and prints the summary `run --headless` printed for that run,
/// with the expectations evaluated on the recorded trace.
fn replay(args: &ReplayArgs) -> Result<ExitCode, Failure> {
    let recorded = crate::trace::read::read_file(&args.trace).map_err(|e| usage(e.to_string()))?;
    // A trace without its end line was cut, at a line boundary or in a line: said alike.
    let warning = recorded.truncated.map(|cut| cut.warning(&args.trace.display().to_string()));
    if !(args.headless || args.json) {
        // The TUI on the recorded steps: every view, time travel, nothing computed past the end.
        let name = args
            .trace
            .file_name()
            .map_or_else(|| args.trace.display().to_string(), |n| n.to_string_lossy().into_owned());
        let banner = match recorded.truncated {
            Some(cut) => format!("▣ replay of {name}, cut: steps 1–{} only", cut.last_step),
            None => format!("▣ replay of {name}"),
        };
        let complete = recorded.complete();
        let mut app =
            crate::tui::App::replay(args.trace.display().to_string(), recorded.model, recorded.trace, complete);
        app.message = warning;
        app.banner = Some(banner);
        app.theme = Theme::from_env(args.theme);
        crate::tui::run(app).map_err(|e| usage(format!("eventlab: {e}")))?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(warning) = warning {
        eprintln!("{warning}");
    }
    let replayed = crate::run::replay(recorded);
    if args.json {
        out(format!("{}\n", crate::report::summary_json(&replayed)))?;
    } else {
        out(crate::report::summary_table(&replayed))?;
    }
    let code = if replayed.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) };
    // As after a run: freeing millions of steps one by one would only delay the exit.
    std::mem::forget(replayed);
    Ok(code)
}

/// `eventlab diff A B`: exit 0 when the runs are equal, 1 when they differ.
fn diff(args: &DiffArgs) -> Result<ExitCode, Failure> {
    use crate::run::source::{Request, compute};
    let limits = Limits::default();
    let side = |target: &str, seed: Option<u64>, variant: Option<&str>| {
        let request = Request { target, seed, variant };
        let (source, warning) = compute(&request, &limits).map_err(usage)?;
        if let Some(warning) = warning {
            eprintln!("{warning}");
        }
        // As the user would write it: `crash-duplicates --variant idempotent-billing`.
        let flags = [variant.map(|v| format!("--variant {v}")), seed.map(|s| format!("--seed {s}"))];
        let label = std::iter::once(target.to_owned()).chain(flags.into_iter().flatten()).collect::<Vec<_>>().join(" ");
        Ok::<_, Failure>((label, source))
    };
    let (label_a, a) = side(&args.a, args.seed_a, args.variant_a.as_deref())?;
    let (label_b, b) = side(&args.b, args.seed, args.variant.as_deref())?;
    let diff = crate::diff::Diff::new(crate::diff::Side::of(&label_a, &a.run), crate::diff::Side::of(&label_b, &b.run));
    if args.json {
        out(format!("{}\n", crate::diff::render::json(&diff)))?;
    } else {
        out(crate::diff::render::table(&diff))?;
    }
    let code = if diff.equal() { ExitCode::SUCCESS } else { ExitCode::from(1) };
    // As after a run: freeing millions of steps one by one would only delay the exit.
    std::mem::forget((a, b));
    Ok(code)
}

fn limits(max_steps: u64, max_memory: u64) -> Result<Limits, Failure> {
    if max_steps == 0 || max_steps > MAX_STEPS_CEILING {
        return Err(usage(format!("--max-steps must be between 1 and {MAX_STEPS_CEILING}")));
    }
    Ok(Limits { max_steps, max_memory })
}

/// The smallest `--max-memory`: what the program itself needs.
const MIN_MEMORY: u64 = 64 << 20;

/// `--max-memory`: a number of bytes, or a number with a unit: `KiB`, `MiB`, `GiB`, `TiB`
/// (powers of 1024; `K`, `M`, `G`, `T` and `KB`, `MB`, ... mean the same here, as memory
/// is counted in binary units), written together (`512MiB`, `1.5GiB`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(format!("\"{text}\" is not a size: write bytes or a number and a unit, e.g. 512MiB, 2GiB")),
    };
    let value: f64 = match number.parse::<f64>() {
        Ok(value) if number.bytes().next().is_some_and(|b| b.is_ascii_digit()) => value,
        _ => return Err(format!("\"{text}\" is not a size: write bytes or a number and a unit, e.g. 512MiB, 2GiB")),
    };
    let bytes = value * scale as f64;
    if bytes.is_nan() || bytes < MIN_MEMORY as f64 {
        return Err(format!("{text} is too little: at least 64MiB"));
    }
    Ok(if bytes >= u64::MAX as f64 { u64::MAX } else { bytes as u64 })
}

/// Loads a file, or a built-in lesson when no such path exists, and applies `variant`.
fn load_target(target: &str, limits: Limits, variant: Option<&str>) -> Result<(String, Scenario), Failure> {
    crate::run::source::load_target(target, &limits, variant).map_err(usage)
}

/// Opens the lesson picker (bare `eventlab`).
fn picker(theme: Option<Theme>) -> Result<ExitCode, Failure> {
    if !std::io::stdout().is_terminal() {
        return Err(usage(
            "eventlab: the lesson picker needs a terminal; `eventlab lessons` lists the lessons, \
             `eventlab run LESSON --headless` runs one",
        ));
    }
    let mut picker = crate::tui::Picker::new(lessons::LESSONS).map_err(|e| usage(e.to_string()))?;
    picker.theme = Theme::from_env(theme);
    crate::tui::run_picker(picker, Limits::default()).map_err(|e| usage(format!("eventlab: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// Opens the TUI on a file or lesson.
fn tui(args: &RunArgs) -> Result<ExitCode, Failure> {
    if args.trace.is_some() {
        return Err(usage("--trace needs --headless (the TUI records with its own key later)"));
    }
    let limits = limits(args.max_steps, args.max_memory)?;
    let (origin, scenario) = load_target(&args.target, limits, args.variant.as_deref())?;
    let path = Path::new(&args.target).exists().then(|| PathBuf::from(&args.target));
    // The text the scenario came from, so `v` in the TUI can switch between its variants.
    let source = match &path {
        Some(path) => std::fs::read_to_string(path).unwrap_or_default(),
        None => lessons::find(&args.target).map_or_else(String::new, |l| l.source.to_owned()),
    };
    let app = crate::tui::App::new(origin.clone(), path, scenario, args.seed, limits)
        .map_err(|e| usage(format!("{origin}: {e}")))?
        .with_source(&source, args.variant.clone())
        .with_theme(Theme::from_env(args.theme));
    crate::tui::run(app).map_err(|e| usage(format!("eventlab: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

fn run(args: &RunArgs) -> Result<ExitCode, Failure> {
    // SIGTERM, SIGINT, SIGHUP: the trace's temporary file removed, exit 128 + the signal.
    let _ = crate::run::signals::exit_on_signals();
    let limits = limits(args.max_steps, args.max_memory)?;
    let (origin, scenario) = load_target(&args.target, limits, args.variant.as_deref())?;
    let cannot_write = |path: &Path, e| usage(format!("{}: cannot write the trace: {e}", path.display()));
    // Before the run: a device or a folder is refused, a symbolic link followed.
    let target = match &args.trace {
        Some(path) => Some((path, crate::trace::file::Target::resolve(path).map_err(|e| cannot_write(path, e))?)),
        None => None,
    };
    let outcome = crate::run::run(scenario, args.seed, limits.step_cap()).map_err(|e| match e {
        crate::run::RunError::Sim(crate::sim::SimError::TooManySteps { limit, time }) if limit < limits.max_steps => {
            usage(format!(
                "{origin}: the run passed {limit} steps at virtual time {time}, all the --max-memory budget of {} holds \
                 at {} bytes a step: a run-away loop? --max-memory raises the limit",
                crate::scenario::validate::format_bytes(limits.max_memory),
                crate::scenario::validate::BYTES_PER_STEP
            ))
        }
        e => usage(format!("{origin}: {e}")),
    })?;
    if let Some((path, target)) = &target {
        let complete = outcome.sim.is_finished();
        target.write(outcome.sim.model(), outcome.sim.trace(), complete).map_err(|e| cannot_write(path, e))?;
    }
    if args.json {
        out(format!("{}\n", crate::report::summary_json(&outcome)))?;
    } else {
        out(crate::report::summary_table(&outcome))?;
    }
    let code = if outcome.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) };
    // The process ends here: freeing millions of steps and events one by one would only
    // delay the exit (it showed as a tenth of a headless run's time).
    std::mem::forget(outcome);
    Ok(code)
}

/// `eventlab run --broker`: the scenario played against a real cluster (see
/// [`crate::bridge::play`]): in the TUI as it happens, or headless to its end, then its trace
/// analysed as a recorded one (the summary, the exit code).
#[cfg(feature = "kafka")]
fn broker_run(args: &RunArgs) -> Result<ExitCode, Failure> {
    use crate::bridge::play::{Options, play};
    let brokers = args.broker.clone().unwrap_or_default();
    crate::bridge::check_brokers(&brokers).map_err(usage)?;
    let headless = args.headless || args.json;
    if headless {
        let _ = crate::run::signals::exit_on_signals();
    } else if args.trace.is_some() {
        return Err(usage("--trace needs --headless (the TUI records with its own key later)"));
    } else if !std::io::stdout().is_terminal() {
        return Err(usage("eventlab: run --broker without --headless opens the TUI, which needs a terminal"));
    }
    let limits = limits(args.max_steps, args.max_memory)?;
    let (origin, scenario) = load_target(&args.target, limits, args.variant.as_deref())?;
    let target = match &args.trace {
        Some(path) => Some((
            path,
            crate::trace::file::Target::resolve(path)
                .map_err(|e| usage(format!("{}: cannot write the trace: {e}", path.display())))?,
        )),
        None => None,
    };
    let options = Options {
        brokers: brokers.clone(),
        speed: args.speed,
        reuse_topics: args.reuse_topics,
        max_steps: limits.step_cap(),
        run_id: None,
    };
    if !headless {
        // The TUI on the run as it happens (steps placed half a second behind the clock).
        let prepared =
            crate::bridge::play::prepare(scenario, args.seed, &options).map_err(|e| usage(format!("{origin}: {e}")))?;
        let feed = prepared.live();
        let app = crate::tui::App::tap(format!("{origin} on {brokers}"), Box::new(feed))
            .with_theme(Theme::from_env(args.theme));
        crate::tui::run(app).map_err(|e| usage(format!("eventlab: {e}")))?;
        return Ok(ExitCode::SUCCESS);
    }
    let played = play(scenario, args.seed, &options).map_err(|e| usage(format!("{origin}: {e}")))?;
    if played.unpublished > 0 {
        eprintln!(
            "warning: {origin}: {} records due within the scenario's duration were not published by its end \
             (the cluster or this machine did not keep up with --speed {}); a lower --speed plays more of them",
            played.unpublished, args.speed
        );
    }
    if let Some((path, target)) = &target {
        target
            .write(&played.recorded.model, &played.recorded.trace, played.recorded.complete())
            .map_err(|e| usage(format!("{}: cannot write the trace: {e}", path.display())))?;
    }
    let replayed = crate::run::replay(played.recorded);
    if args.json {
        out(format!("{}\n", crate::report::summary_json(&replayed)))?;
    } else {
        out(crate::report::summary_table(&replayed))?;
    }
    Ok(if replayed.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `eventlab run --broker` in a build without the bridge.
#[cfg(not(feature = "kafka"))]
fn broker_run(_: &RunArgs) -> Result<ExitCode, Failure> {
    Err(usage("--broker: this eventlab was built without the kafka feature (cargo build --features kafka)"))
}

/// `eventlab explore`: exit 0 when no seed broke an expectation, 1 when some did.
fn explore(args: &ExploreArgs) -> Result<ExitCode, Failure> {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use crate::explore::{Explorer, Report, render};
    let limits = limits(args.max_steps, Limits::default().max_memory)?;
    let (origin, scenario) = load_target(&args.target, limits, args.variant.as_deref())?;
    if !args.out.is_dir() {
        return Err(usage(format!("--out {}: no such folder", args.out.display())));
    }
    let explorer = Explorer::new(scenario, limits.step_cap());
    let seeds = args.seeds.clone().unwrap_or_else(|| explorer.default_seeds());
    let jobs = args.jobs.map_or_else(|| std::thread::available_parallelism().map_or(1, usize::from), |j| j as usize);
    // Ctrl-C (and SIGTERM, SIGHUP) stop the exploration; what was found so far is reported.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in crate::run::signals::STOPPING {
        let _ = signal_hook::flag::register(signal, Arc::clone(&stop));
    }
    let bar = std::io::stderr().is_terminal().then(render::ProgressBar::new);
    let verdicts = explorer
        .explore(seeds.clone(), jobs, &stop, |p| {
            if let Some(bar) = &bar {
                eprint!("\r{}", bar.line(&p));
            }
        })
        .map_err(|e| usage(format!("{origin}: seed {}: {}", e.seed, e.error)))?;
    if bar.is_some() {
        eprintln!();
    }
    let stopped = stop.load(std::sync::atomic::Ordering::Relaxed);
    let report = Report::new(&explorer, seeds, stopped, verdicts)
        .map_err(|e| usage(format!("{origin}: seed {}: {}", e.seed, e.error)))?;
    let stem = Path::new(&args.target)
        .file_stem()
        .filter(|_| Path::new(&args.target).exists())
        .map_or_else(|| args.target.clone(), |s| s.to_string_lossy().into_owned());
    let file = match &report.reproduction {
        Some(r) => Some(
            crate::explore::write_reproduction(r, &args.out, &stem)
                .map_err(|e| usage(format!("{}: cannot write the reproduction: {e}", args.out.display())))?,
        ),
        None => None,
    };
    if args.json {
        out(format!("{}\n", render::json(&report, file.as_deref())))?;
    } else {
        out(render::table(&report, file.as_deref()))?;
    }
    if args.open
        && let Some(file) = &file
    {
        let scenario = load_file(file, &limits).map_err(|e| usage(e.to_string()))?;
        let source = std::fs::read_to_string(file).unwrap_or_default();
        let origin = file.display().to_string();
        let mut app = crate::tui::App::new(origin.clone(), Some(file.clone()), scenario, None, limits)
            .map_err(|e| usage(format!("{origin}: {e}")))?
            .with_source(&source, None);
        app.apply(crate::tui::action::Action::NextFinding);
        crate::tui::run(app).map_err(|e| usage(format!("eventlab: {e}")))?;
    }
    // Stopped with nothing found proves nothing: 130, as a run stopped by Ctrl-C.
    Ok(match (report.failing().next().is_some(), stopped) {
        (true, _) => ExitCode::from(1),
        (false, true) => ExitCode::from(130),
        (false, false) => ExitCode::SUCCESS,
    })
}
