//! Opening the files a user names (scenarios, traces): regular files only, of bounded size.
//!
//! `/dev/zero` grows without end when read, `/dev/urandom` never ends, and opening a FIFO
//! for reading blocks until a writer comes. So the kind of file is checked from its
//! metadata before it is opened, opened without blocking, checked again on the open handle
//! (the path may have been swapped meanwhile), and read through a limit, so that a file
//! that grows while it is read is cut off rather than read on.

use std::fs::File;
use std::io::{self, Read as _};
use std::path::Path;

/// What kind of file `metadata` describes, when it is not a regular file: `"is a
/// directory"`, `"is a character device"`, ...; `None` for a regular file.
fn not_regular(metadata: &std::fs::Metadata) -> Option<&'static str> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("is a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return Some("is a named pipe (FIFO), not a regular file");
        }
        if kind.is_char_device() {
            return Some("is a character device, not a regular file");
        }
        if kind.is_block_device() {
            return Some("is a block device, not a regular file");
        }
        if kind.is_socket() {
            return Some("is a socket, not a regular file");
        }
    }
    Some("is not a regular file")
}

fn refused(reason: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, reason.to_owned())
}

/// `too large (N bytes; at most M MiB)`.
pub fn too_large(bytes: u64, max_bytes: u64) -> String {
    format!("too large ({bytes} bytes; at most {} MiB)", max_bytes / (1024 * 1024))
}

/// Opens `path` for reading if it is a regular file of at most `max_bytes` bytes. Anything
/// else is refused at once, without blocking: the error's message says what the path is
/// ("is a named pipe (FIFO), not a regular file") and its kind is `InvalidInput` (or the
/// OS's error when the path cannot be read at all).
pub fn open_regular(path: &Path, max_bytes: u64) -> io::Result<File> {
    let metadata = std::fs::metadata(path)?;
    if let Some(reason) = not_regular(&metadata) {
        return Err(refused(reason));
    }
    if metadata.len() > max_bytes {
        return Err(refused(&too_large(metadata.len(), max_bytes)));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        // O_NONBLOCK (the same value on every Linux architecture eventlab builds for): should
        // the path have become a FIFO since the check, opening it does not wait for a writer.
        // It changes nothing for a regular file.
        use std::os::unix::fs::OpenOptionsExt as _;
        const O_NONBLOCK: i32 = 0o4000;
        options.custom_flags(O_NONBLOCK);
    }
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    if let Some(reason) = not_regular(&metadata) {
        return Err(refused(reason));
    }
    if metadata.len() > max_bytes {
        return Err(refused(&too_large(metadata.len(), max_bytes)));
    }
    Ok(file)
}

/// Reads a whole regular file of at most `max_bytes` bytes (see [`open_regular`]); a file
/// that grows past the limit while it is read is refused too.
pub fn read_regular(path: &Path, max_bytes: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(path, max_bytes)?;
    let expected = file.metadata().map_or(0, |m| m.len());
    let mut bytes = Vec::with_capacity(expected as usize);
    file.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(refused(&format!("too large (more than {max_bytes} bytes; at most {} MiB)", max_bytes >> 20)));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_directories_are_refused_without_reading() {
        for (path, reason) in [("/dev/zero", "is a character device"), ("/", "is a directory")] {
            if Path::new(path).exists() {
                let error = open_regular(Path::new(path), 1 << 20).unwrap_err();
                assert!(error.to_string().starts_with(reason), "{path}: {error}");
            }
        }
    }
}
