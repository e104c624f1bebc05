//! [`write_atomic`]: replace a file with new content all at once, or not at all.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::Result;

/// Writes a file through `write`, so that `path` holds either its previous content or
/// the complete new content, never a mix or a truncated file, even if the process or
/// the machine stops half-way.
///
/// The content goes to a new temporary file in the same folder (named
/// `.<file name>.<process id>-<counter>.tmp`), which is flushed, synced to disk and then
/// renamed over `path`; on unix the folder is synced too, so that the rename itself
/// survives a power cut. If `path` already exists, the new file gets its permissions
/// where the file system allows.
/// A symbolic link at `path` is replaced, not followed.
///
/// # Errors
/// Whatever `write` returns, and [`Error::Io`](crate::Error::Io) if the temporary file
/// cannot be created, written, synced or renamed, or `path` has no file name. In every
/// such case the temporary file is removed (also if `write` panics) and `path` is left
/// as it was. The one exception is a failure to sync the folder after the rename: the
/// error is returned, but `path` already holds the new content.
pub(crate) fn write_atomic(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Some(file_name) = path.file_name() else {
        let reason = format!("cannot write to {}: the path has no file name", path.display());
        return Err(io::Error::new(io::ErrorKind::InvalidInput, reason).into());
    };
    let (file, temp) = create_temp(dir, file_name.into())?;
    if let Ok(previous) = fs::metadata(path) {
        // Best effort: some file systems cannot set permissions, and that is no
        // reason to refuse to save.
        let _ = file.set_permissions(previous.permissions());
    }
    let mut writer = BufWriter::new(file);
    write(&mut writer)?;
    let file = writer.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.sync_all()?;
    drop(file);
    temp.rename_to(path)?;
    sync_dir(dir)?;
    Ok(())
}

/// A temporary file, removed when dropped unless it has been renamed into place.
struct TempFile {
    path: PathBuf,
    /// Set once the file has been renamed: its name is then no longer ours to remove.
    renamed: bool,
}

impl TempFile {
    /// Renames the file to `target`, after which it is no longer ours to remove.
    fn rename_to(mut self, target: &Path) -> io::Result<()> {
        fs::rename(&self.path, target)?;
        self.renamed = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.renamed {
            // Best effort: the error being reported matters more than a failed cleanup.
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Creates a new, uniquely named temporary file in `dir` for `file_name`.
fn create_temp(dir: &Path, file_name: OsString) -> io::Result<(File, TempFile)> {
    /// Makes names unique within the process; the process id makes them unique
    /// across processes.
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let mut attempts = 0;
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut name = OsString::from(".");
        name.push(&file_name);
        name.push(format!(".{}-{n}.tmp", std::process::id()));
        let path = dir.join(name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((file, TempFile { path, renamed: false })),
            // Left behind by a crashed process that had the same id: try the next name.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 100 => attempts += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Syncs the folder `dir`, which makes a rename inside it durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Folders cannot be opened for syncing here; the rename is as durable as it gets.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    /// A fresh, empty folder under the system's temporary folder, removed on drop.
    struct TestDir(PathBuf);

    impl TestDir {
        fn new(name: &str) -> Self {
            let path = std::env::temp_dir().join(format!("backprop-atomic-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(&path).unwrap();
            TestDir(path)
        }

        /// The names of the files in the folder, sorted.
        fn entries(&self) -> Vec<String> {
            let mut names: Vec<String> =
                fs::read_dir(&self.0).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
            names.sort();
            names
        }
    }

    impl Drop for TestDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn writes_a_new_file_and_replaces_an_old_one() {
        let dir = TestDir::new("replace");
        let path = dir.0.join("net.safetensors");
        write_atomic(&path, |w| Ok(w.write_all(b"first")?)).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"first");
        write_atomic(&path, |w| Ok(w.write_all(b"second, longer")?)).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second, longer");
        assert_eq!(dir.entries(), ["net.safetensors"]);
    }

    #[test]
    fn an_error_half_way_leaves_the_previous_file_and_no_temporary_file() {
        let dir = TestDir::new("error");
        let path = dir.0.join("net.safetensors");
        let previous: Vec<u8> = (0..=255).collect();
        fs::write(&path, &previous).unwrap();
        let result = write_atomic(&path, |w| {
            w.write_all(&[7; 100_000])?;
            w.flush()?;
            Err(Error::Format { reason: "stopped half-way".into(), offset: Some(100_000) })
        });
        assert!(matches!(result, Err(Error::Format { offset: Some(100_000), .. })));
        assert_eq!(fs::read(&path).unwrap(), previous);
        assert_eq!(dir.entries(), ["net.safetensors"]);
    }

    #[test]
    fn a_panic_half_way_leaves_the_previous_file_and_no_temporary_file() {
        let dir = TestDir::new("panic");
        let path = dir.0.join("net.safetensors");
        fs::write(&path, b"previous").unwrap();
        let result = std::panic::catch_unwind(|| {
            write_atomic(&path, |w| {
                w.write_all(b"partial")?;
                panic!("stopped half-way")
            })
        });
        assert!(result.is_err());
        assert_eq!(fs::read(&path).unwrap(), b"previous");
        assert_eq!(dir.entries(), ["net.safetensors"]);
    }

    #[cfg(unix)]
    #[test]
    fn keeps_the_permissions_of_the_file_it_replaces() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TestDir::new("permissions");
        let path = dir.0.join("net.safetensors");
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, |w| Ok(w.write_all(b"new")?)).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
    }

    #[test]
    fn a_missing_folder_is_an_io_error() {
        let dir = TestDir::new("missing");
        let path = dir.0.join("no such folder").join("net.safetensors");
        assert!(matches!(write_atomic(&path, |_| Ok(())), Err(Error::Io(_))));
        assert!(matches!(write_atomic(Path::new("/"), |_| Ok(())), Err(Error::Io(_))));
        assert!(dir.entries().is_empty());
    }
}
