//! `eventlab tap`: a real Kafka-protocol cluster read live, into the TUI or, headless,
//! into a trace and the summary a run prints.

use std::process::ExitCode;

use super::{Failure, TapArgs, usage};

/// `eventlab tap` in a build without the `kafka` feature.
#[cfg(not(feature = "kafka"))]
pub fn tap(_args: &TapArgs) -> Result<ExitCode, Failure> {
    Err(usage("eventlab tap: this eventlab was built without the kafka feature (cargo install eventlab keeps it on)"))
}

/// `eventlab tap`: exit 0 once it stopped (`--for` passed, `q`, or Ctrl-C when headless),
/// 2 when the cluster cannot be reached or a topic or group is unknown.
#[cfg(feature = "kafka")]
#[allow(clippy::disallowed_methods, reason = "a tap runs in wall time: the cluster's clients do")]
pub fn tap(args: &TapArgs) -> Result<ExitCode, Failure> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    use std::path::Path;

    use super::out;
    use crate::bridge::tap::{From, TapOptions, start};
    use crate::tap::{Recorder, TapFeed};

    crate::bridge::check_brokers(&args.brokers).map_err(usage)?;
    let run_for = match &args.run_for {
        Some(text) => {
            let d = crate::scenario::value::Duration::parse(text).map_err(|e| usage(format!("--for: {e}")))?;
            if d.as_micros() == 0 {
                return Err(usage("--for: give a duration longer than 0 (e.g. 30s)"));
            }
            Some(Duration::from_micros(d.as_micros()))
        }
        None => None,
    };
    let from = match args.from.as_str() {
        "earliest" => From::Earliest,
        "latest" => From::Latest,
        other => return Err(usage(format!("--from \"{other}\": earliest or latest"))),
    };
    let cannot_write = |path: &Path, e| usage(format!("{}: cannot write the trace: {e}", path.display()));
    let target = match &args.trace {
        Some(path) => Some((path, crate::trace::file::Target::resolve(path).map_err(|e| cannot_write(path, e))?)),
        None => None,
    };
    let listed = |names: &Option<Vec<String>>| {
        names.as_ref().map(|n| n.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect::<Vec<_>>())
    };
    let options = TapOptions {
        brokers: args.brokers.clone(),
        topics: listed(&args.topics),
        groups: listed(&args.groups),
        from,
        run_for,
    };
    let started = Instant::now();
    let (shape, seen, tap) = start(options, started).map_err(usage)?;
    let planned = run_for.map(|d| d.as_micros() as u64);
    let recorder = Recorder::new(&args.brokers, &shape, planned).map_err(usage)?;
    if !(args.headless || args.json) {
        let feed = TapFeed::new(recorder, seen);
        let app = crate::tui::App::tap(format!("tap {}", args.brokers), Box::new(feed))
            .with_theme(crate::tui::theme::Theme::from_env(args.theme));
        let result = crate::tui::run(app).map_err(|e| usage(format!("eventlab: {e}")));
        drop(tap);
        result?;
        return Ok(ExitCode::SUCCESS);
    }
    // Headless: until --for passes, or Ctrl-C (SIGTERM, SIGHUP), then the trace and the summary.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in crate::run::signals::STOPPING {
        let _ = signal_hook::flag::register(signal, Arc::clone(&stop));
    }
    let mut recorder = recorder;
    loop {
        if stop.load(Ordering::Relaxed) {
            tap.stop();
        }
        match seen.recv_timeout(Duration::from_millis(100)) {
            Ok(stamped) => {
                recorder.take(stamped).map_err(|e| usage(format!("tap {}: {e}", args.brokers)))?;
                if recorder.stopped() {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    drop(tap);
    let recorded = recorder.finish().map_err(usage)?;
    if let Some((path, target)) = &target {
        target.write(&recorded.model, &recorded.trace, true).map_err(|e| cannot_write(path, e))?;
    }
    let replayed = crate::run::replay(recorded);
    if args.json {
        out(format!("{}\n", crate::report::summary_json(&replayed)))?;
    } else {
        out(crate::report::summary_table(&replayed))?;
    }
    Ok(ExitCode::SUCCESS)
}
