//! Signals during a headless run: SIGTERM, SIGINT and SIGHUP end the process with exit
//! status 128 + the signal (143, 130, 129), after removing the trace's temporary file if
//! one is being written (see [`crate::trace::file`]), so a stopped run leaves nothing.
//!
//! The run itself is synchronous CPU work with no place to poll: a thread of its own
//! (signal-hook's iterator, which reads the signals from a self-pipe outside the handler)
//! waits for them and acts at once, whatever the run is doing. It takes the lock of the
//! registry of temporary files and keeps it until the process is gone, so the run can
//! neither create nor rename one after the files were removed.

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// The signals that stop a headless run.
pub const STOPPING: [i32; 3] = [SIGTERM, SIGINT, SIGHUP];

/// A signal's name, for the line a stopped run prints.
pub fn name(signal: i32) -> &'static str {
    match signal {
        SIGTERM => "SIGTERM",
        SIGINT => "SIGINT",
        SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}

/// From now on, SIGTERM, SIGINT and SIGHUP remove the temporary trace file being written
/// and exit with 128 + the signal, saying so on stderr. Fails only if the handlers or the
/// thread cannot be set up (the default action, ending the process, then stays).
pub fn exit_on_signals() -> std::io::Result<()> {
    let mut signals = Signals::new(STOPPING)?;
    std::thread::Builder::new().name("signals".to_owned()).spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let (_held, removed) = crate::trace::file::remove_temps();
            let unwritten = match removed.first() {
                Some(_) => "; the trace was not written",
                None => "",
            };
            eprintln!("eventlab: stopped by {}{unwritten}", name(signal));
            std::process::exit(128 + signal);
        }
    })?;
    Ok(())
}
