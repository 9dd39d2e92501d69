//! Writing a trace file (`--trace`, `w` in the TUI): atomically, onto the file the user
//! meant, and leaving nothing behind.
//!
//! - **The target.** [`Target::resolve`] follows a symbolic link to the file it names
//!   (created if the link dangles), so the link stays a link and the file it points to is
//!   written; an existing file that is not a regular file (a device such as `/dev/null`, a
//!   FIFO, a socket, a folder) is refused before the run, since a rename would replace it.
//! - **Atomically.** The trace is written to a temporary file in the real target's folder,
//!   synced, then renamed onto the target: a reader sees the old file or the whole new one.
//!   The new file keeps the permissions of the file it replaces.
//! - **Temporary names.** `.NAME.eventlab-tmp.PID` beside `NAME`, PID being the writing
//!   process's id. While one is being written it is listed in a registry that
//!   [`remove_temps`] empties: the headless run's signal handler
//!   (`crate::run::signals`) removes it before the process exits, whenever the signal
//!   comes (the registry's lock is taken to create and to rename, so no temporary file
//!   is created or renamed after the handler ran).
//! - **Leftovers.** A process killed in a way no handler sees (SIGKILL, a power cut) leaves
//!   its temporary file. Writing to a target first removes the temporary files of that
//!   target whose PID is no live process (on Linux `/proc/PID`, elsewhere `kill -0 PID`),
//!   and the `.NAME.tmp-PID` files earlier versions wrote. The PID rather than the file's
//!   age is the test: a run started before this one and still writing the same target
//!   keeps its file (its age says nothing about whether it is still written), and a file
//!   is never removed while its writer lives. A PID reused by an unrelated process keeps a
//!   leftover until that process ends; a process in another PID namespace writing into the
//!   same folder looks dead (both rare; the cost is one removed or one kept file).

use std::ffi::{OsStr, OsString};
use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::Trace;
use super::jsonl;
use crate::model::Model;

/// What a temporary file's name has between the target's name and the PID.
const TEMP_INFIX: &str = ".eventlab-tmp.";
/// Earlier versions named temporary files `.NAME.tmp-PID`.
const LEGACY_INFIX: &str = ".tmp-";
/// Symbolic links followed before giving up (as the kernel's `ELOOP`).
const MAX_LINKS: usize = 40;

/// The temporary files being written now.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Removes every temporary file being written and returns the registry's lock: while it is
/// held, no temporary file is created or renamed. For a signal handler about to end the
/// process; returns the paths removed too.
pub fn remove_temps() -> (MutexGuard<'static, Vec<PathBuf>>, Vec<PathBuf>) {
    let mut live = live();
    let removed: Vec<PathBuf> = live.drain(..).filter(|path| fs::remove_file(path).is_ok()).collect();
    (live, removed)
}

/// A trace file to write: the real file behind the path given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The file written: the path given, or the file its symbolic link names.
    path: PathBuf,
    /// The folder `path` is in (`.` for a bare name).
    dir: PathBuf,
    /// `path`'s file name.
    name: OsString,
}

impl Target {
    /// Resolves `path` (see the module's documentation): the real file to write, or why it
    /// cannot be one, one line, before any work is done. Temporary files left there by a
    /// killed run are removed.
    pub fn resolve(path: &Path) -> io::Result<Target> {
        let path = follow_links(path)?;
        match fs::metadata(&path) {
            Ok(meta) if meta.is_file() => {}
            Ok(meta) => {
                let what = if meta.is_dir() { "a folder" } else { kind(&meta) };
                return Err(io::Error::other(format!(
                    "{what}, not a regular file (a trace is written to a file; leave --trace out to write none)"
                )));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let name = path.file_name().ok_or_else(|| io::Error::other("not a file name"))?.to_owned();
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_owned();
        if !dir.is_dir() {
            return Err(io::Error::other(format!("no such folder {}", dir.display())));
        }
        let target = Target { path, dir, name };
        target.remove_leftovers();
        Ok(target)
    }

    /// The file written (a symbolic link's target, not the link).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary file this process writes the target through.
    pub fn temp_path(&self) -> PathBuf {
        self.dir.join(temp_name(&self.name, std::process::id()))
    }

    /// Removes the temporary files of this target whose writer is no live process;
    /// returns how many.
    pub fn remove_leftovers(&self) -> usize {
        let Ok(entries) = fs::read_dir(&self.dir) else { return 0 };
        let own = std::process::id();
        let mut removed = 0;
        for entry in entries.flatten() {
            let Some(pid) = temp_pid(&self.name, &entry.file_name()) else { continue };
            if pid != own && !alive(pid) && fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        removed
    }

    /// Writes the trace (see [`jsonl::write`]) atomically; `complete` goes to its `end`
    /// line. On any failure the temporary file is removed.
    pub fn write(&self, model: &Model, trace: &Trace, complete: bool) -> io::Result<()> {
        self.write_counted(model, trace, complete, &jsonl::Progress::default())
    }

    /// [`Target::write`], keeping `progress` current; cancelled, it stops and leaves no
    /// file (see [`jsonl::write_counted`]).
    pub fn write_counted(
        &self,
        model: &Model,
        trace: &Trace,
        complete: bool,
        progress: &jsonl::Progress,
    ) -> io::Result<()> {
        self.remove_leftovers();
        let tmp = self.temp_path();
        let file = {
            let mut live = live();
            // A file of this name is a leftover of a dead process that had this PID.
            let _ = fs::remove_file(&tmp);
            let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            live.push(tmp.clone());
            file
        };
        let written = (|| {
            let mut out = io::BufWriter::with_capacity(1 << 20, file);
            jsonl::write_counted(&mut out, model, trace, complete, progress)?;
            out.flush()?;
            let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
            file.sync_all()?;
            if let Ok(meta) = fs::metadata(&self.path) {
                fs::set_permissions(&tmp, meta.permissions())?;
            }
            Ok(())
        })();
        let mut live = live();
        if !live.contains(&tmp) {
            // A signal handler removed it: the process is ending.
            return Err(io::Error::other("interrupted"));
        }
        let result = written.and_then(|()| fs::rename(&tmp, &self.path));
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        live.retain(|p| *p != tmp);
        result
    }
}

/// `path`, or the file its chain of symbolic links ends at (which may not exist yet).
fn follow_links(path: &Path) -> io::Result<PathBuf> {
    let mut path = path.to_owned();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let next = fs::read_link(&path)?;
                path = match path.parent() {
                    Some(dir) if next.is_relative() => dir.join(next),
                    _ => next,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(io::Error::other(format!("more than {MAX_LINKS} symbolic links in a chain (a loop?)")))
}

/// What kind of file that is not a regular file or a folder is, for the refusal.
fn kind(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_char_device() {
            return "a character device";
        } else if t.is_block_device() {
            return "a block device";
        } else if t.is_fifo() {
            return "a FIFO";
        } else if t.is_socket() {
            return "a socket";
        }
    }
    let _ = meta;
    "a special file"
}

fn temp_name(name: &OsStr, pid: u32) -> OsString {
    let mut temp = OsString::from(".");
    temp.push(name);
    temp.push(TEMP_INFIX);
    temp.push(pid.to_string());
    temp
}

/// The PID in `file`'s name if it is a temporary file of the target `name` (this
/// version's or an earlier one's).
fn temp_pid(name: &OsStr, file: &OsStr) -> Option<u32> {
    let file = file.as_encoded_bytes();
    let rest = file.strip_prefix(b".")?.strip_prefix(name.as_encoded_bytes())?;
    let digits = rest.strip_prefix(TEMP_INFIX.as_bytes()).or_else(|| rest.strip_prefix(LEGACY_INFIX.as_bytes()))?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Whether a process with this id runs (a zombie counts: its parent has yet to see it end).
/// When that cannot be told, it is taken to live: a file is kept rather than removed
/// under a writer.
fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return proc.join(pid.to_string()).exists();
    }
    std::process::Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_or(true, |status| status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_told_by_target_and_pid() {
        let name = OsStr::new("out.jsonl");
        assert_eq!(temp_name(name, 42), ".out.jsonl.eventlab-tmp.42");
        assert_eq!(temp_pid(name, &temp_name(name, 42)), Some(42));
        assert_eq!(temp_pid(name, OsStr::new(".out.jsonl.tmp-7")), Some(7));
        for other in
            [".out.jsonl.eventlab-tmp.", ".out.jsonl.eventlab-tmp.4x", ".other.jsonl.eventlab-tmp.4", "out.jsonl"]
        {
            assert_eq!(temp_pid(name, OsStr::new(other)), None, "{other}");
        }
    }

    #[test]
    fn this_process_lives() {
        assert!(alive(std::process::id()));
    }
}
