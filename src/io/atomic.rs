//! [`write_atomic`]: replace a file with new content all at once, or not at all, and
//! leave no temporary file behind that could pile up.

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::Result;

/// How the name of every temporary file of [`write_atomic`] ends: the mark by which a
/// later save knows it for one of its own.
const TEMP_SUFFIX: &str = ".backprop.tmp";

/// The length a temporary file's name may have even where the file's own name is
/// shorter: room for the process id and the counter.
const SHORT_NAME_ROOM: usize = 64;

/// Writes a file through `write`, so that `path` holds either its previous content or
/// the complete new content, never a mix or a truncated file, even if the process or
/// the machine stops half-way.
///
/// The content goes to a new temporary file in the same folder, which is flushed,
/// synced to disk and then renamed over `path`; on unix the folder is synced too, so
/// that the rename itself survives a power cut. If `path` already exists, the new file
/// gets its permissions where the file system allows.
/// A symbolic link at `path` is replaced, not followed.
///
/// # Temporary files
/// The temporary file is named `.<file name>.<process id>-<counter>.backprop.tmp`, the
/// file name cut short where needed so that the whole is no longer than the file's own
/// name, or than 64 bytes if that is more: a name the file system accepts for `path`,
/// it accepts for the temporary file. The saving process holds a lock on the file
/// ([`File::try_lock`]) from its creation until it has been renamed.
///
/// A process killed while saving leaves its temporary file behind (the system releases
/// the lock). So every save first removes the temporary files of this naming in the
/// folder that nothing can still be writing: those of another process id, which is not
/// running where `/proc` tells (on Linux), and whose lock it can take, so that no
/// process holds it, whatever its id or namespace (or machine, where the file system
/// shares locks between machines). A file whose lock is held, or on a file system
/// without locks, is left alone. A process id being reused makes a leftover wait for a
/// later save; it never makes a save remove a file in use.
///
/// # Errors
/// Whatever `write` returns, and [`Error::Io`](crate::Error::Io) if the temporary file
/// cannot be created, written, synced or renamed, or `path` has no file name. In every
/// such case the temporary file is removed (also if `write` panics) and `path` is left
/// as it was. The one exception is a failure to sync the folder after the rename: the
/// error is returned, but `path` already holds the new content.
pub(crate) fn write_atomic(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let dir = folder_of(path);
    let Some(file_name) = path.file_name() else {
        // The caller names the path (`Error::in_file`).
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name").into());
    };
    remove_stale_temporaries(dir);
    let temp = TempFile::create(dir, file_name)?;
    if let Ok(previous) = fs::metadata(path) {
        // Best effort: some file systems cannot set permissions, and that is no
        // reason to refuse to save.
        let _ = temp.file.set_permissions(previous.permissions());
    }
    let mut writer = BufWriter::new(&temp.file);
    write(&mut writer)?;
    writer.into_inner().map_err(io::IntoInnerError::into_error)?;
    temp.file.sync_all()?;
    temp.rename_to(path)?;
    sync_dir(dir)?;
    Ok(())
}

/// The folder `path` is in: `.` for a bare file name.
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A temporary file of [`write_atomic`]: created new, open and locked, and removed when
/// dropped unless it has been renamed into place.
struct TempFile {
    file: File,
    path: PathBuf,
    /// Set once the file has been renamed: its name is then no longer ours to remove.
    renamed: bool,
}

impl TempFile {
    /// Creates a new, uniquely named temporary file in `dir` for `file_name`.
    fn create(dir: &Path, file_name: &OsStr) -> io::Result<TempFile> {
        /// Makes names unique within the process; the process id makes them unique
        /// across processes.
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        const ATTEMPTS: usize = 100;
        for _ in 0..ATTEMPTS {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(temp_name(file_name, std::process::id(), n));
            if let Some(temp) = TempFile::create_at(path, lock_new)? {
                return Ok(temp);
            }
        }
        let reason = format!("found no free name for a temporary file in {} in {ATTEMPTS} attempts", dir.display());
        Err(io::Error::new(io::ErrorKind::AlreadyExists, reason))
    }

    /// Creates the temporary file `path` and locks it with `lock` ([`lock_new`], which
    /// also checks that the file is still there); `None` if the name is taken.
    fn create_at(path: PathBuf, lock: impl FnOnce(&File, &Path) -> bool) -> io::Result<Option<TempFile>> {
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) if lock(&file, &path) => Ok(Some(TempFile { file, path, renamed: false })),
            // Another process's cleanup took it for a leftover (it is removed, or being
            // removed): never ours to touch again.
            Ok(_) => Ok(None),
            // Left behind by a process that had the same id and is still running, or not
            // gone long enough ago to be cleaned up.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Renames the file to `target`, after which it is no longer ours to remove. The
    /// file stays open, and locked, until then.
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

/// The name of the temporary file number `n` of process `pid` for `file_name` (see
/// [`write_atomic`]), never longer than `file_name` or [`SHORT_NAME_ROOM`] bytes.
fn temp_name(file_name: &OsStr, pid: u32, n: u32) -> String {
    let suffix = format!(".{pid}-{n}{TEMP_SUFFIX}");
    // Only the process id and the counter make the name unique: the file name is
    // there for people, and can be cut and lossily converted.
    let name = file_name.to_string_lossy();
    // In UTF-16 units: at most the name's bytes, and what Windows limits.
    let room = name.encode_utf16().count().max(SHORT_NAME_ROOM) - ".".len() - suffix.len();
    let stem_end = name.char_indices().map(|(i, c)| i + c.len_utf8()).take_while(|&end| end <= room).last();
    format!(".{}{suffix}", &name[..stem_end.unwrap_or(0)])
}

/// The process id in a name of [`temp_name`]'s form, or `None` if `name` is not one.
fn temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(TEMP_SUFFIX)?;
    let (pid, n) = rest.rsplit_once('.')?.1.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if digits(pid) && digits(n) { pid.parse().ok() } else { None }
}

/// Locks the new temporary file `file`, and checks that `path` still names it: another
/// process's cleanup may have removed it between its creation and the lock. `false` if
/// `file` is not, or no longer, at `path`.
fn lock_new(file: &File, path: &Path) -> bool {
    match file.try_lock() {
        // A cleanup holds the lock: it is removing the file.
        Err(TryLockError::WouldBlock) => false,
        // Without locks on this file system, no cleanup removes the file either.
        Ok(()) | Err(TryLockError::Error(_)) => names(path, file),
    }
}

/// Removes the temporary files of [`temp_name`]'s form in `dir` that no process can
/// still be writing: see [`write_atomic`]. Best effort: a file that cannot be opened,
/// locked or removed stays.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let me = std::process::id();
    // Where `/proc` is mounted (Linux), it has an entry for every running process of
    // the namespace; elsewhere only the lock tells.
    let proc = Path::new("/proc");
    let knows_processes = proc.join("self").exists();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(temp_pid) else { continue };
        if pid == me || (knows_processes && proc.join(pid.to_string()).exists()) {
            continue;
        }
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        // Reading or writing: the permissions of the file it replaces may allow one only.
        let Ok(file) = File::open(&path).or_else(|_| OpenOptions::new().write(true).open(&path)) else { continue };
        if file.try_lock().is_ok() && names(&path, &file) {
            let _ = fs::remove_file(&path);
        }
    }
}

/// Whether `path` names the open file `file`.
#[cfg(unix)]
fn names(path: &Path, file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::symlink_metadata(path), file.metadata()) {
        (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
        _ => false,
    }
}

/// Whether `path` names the open file `file`: here, whether it names a file at all,
/// as the names are unique to a process.
#[cfg(not(unix))]
fn names(path: &Path, _file: &File) -> bool {
    fs::symlink_metadata(path).is_ok()
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

    /// A process id no process has: above Linux's limit of 2²², and not a multiple of
    /// 4 as Windows' are.
    const GONE: u32 = u32::MAX - 1;

    /// Writes a leftover temporary file, as a save killed half-way leaves it.
    fn leftover(dir: &TestDir, file_name: &str, pid: u32, n: u32) -> String {
        let name = temp_name(OsStr::new(file_name), pid, n);
        fs::write(dir.0.join(&name), [7; 1000]).unwrap();
        name
    }

    #[test]
    fn a_save_removes_what_killed_saves_left_behind() {
        let dir = TestDir::new("leftovers");
        leftover(&dir, "net.safetensors", GONE, 0);
        leftover(&dir, "net.safetensors", GONE, 1);
        // Of another file in the folder, as a training run that saves every epoch under
        // a new name leaves them.
        leftover(&dir, "epoch-3.safetensors", GONE, 17);
        // Files of other naming stay, however alike.
        let others = [
            "notes.tmp".to_string(),
            format!(".net.safetensors.{GONE}-0.tmp"),
            format!(".net.safetensors.{GONE}-x{TEMP_SUFFIX}"),
            format!(".net.safetensors.{GONE}{TEMP_SUFFIX}"),
            format!("net.safetensors.+{GONE}-0{TEMP_SUFFIX}"),
        ];
        for name in &others {
            fs::write(dir.0.join(name), b"not ours").unwrap();
        }
        let path = dir.0.join("net.safetensors");
        write_atomic(&path, |w| Ok(w.write_all(b"saved")?)).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"saved");
        let mut expected: Vec<String> = others.to_vec();
        expected.push("net.safetensors".into());
        expected.sort();
        assert_eq!(dir.entries(), expected);
    }

    #[test]
    fn a_save_keeps_temporary_files_that_may_still_be_written() {
        let dir = TestDir::new("in-use");
        let path = dir.0.join("net.safetensors");
        // Of this process, e.g. another thread's save.
        let ours = leftover(&dir, "net.safetensors", std::process::id(), 1_000_000);
        // Of a process of another namespace or machine, which holds the lock.
        let locked = leftover(&dir, "net.safetensors", GONE, 2);
        let handle = File::open(dir.0.join(&locked)).unwrap();
        handle.lock().unwrap();
        let gone = leftover(&dir, "net.safetensors", GONE, 3);
        let mut expected = vec![ours.clone(), locked.clone(), "net.safetensors".to_string()];
        // Of a running process: process 1 always runs, and `/proc` shows it.
        if cfg!(target_os = "linux") && Path::new("/proc/1").exists() {
            expected.push(leftover(&dir, "net.safetensors", 1, 4));
        }
        expected.sort();
        write_atomic(&path, |w| Ok(w.write_all(b"first")?)).unwrap();
        assert!(!dir.entries().contains(&gone));
        assert_eq!(dir.entries(), expected);
        // Once its process is gone, its lock is released and the next save removes it.
        drop(handle);
        write_atomic(&path, |w| Ok(w.write_all(b"second")?)).unwrap();
        expected.retain(|name| name != &locked);
        assert_eq!(dir.entries(), expected);
        assert_eq!(fs::read(&path).unwrap(), b"second");
    }

    #[test]
    fn a_new_temporary_file_is_used_only_if_locked_and_still_there() {
        let dir = TestDir::new("lock-new");
        let path = dir.0.join(temp_name(OsStr::new("net"), std::process::id(), 5));
        let file = OpenOptions::new().write(true).create_new(true).open(&path).unwrap();
        // Another process's cleanup holds the lock: it is removing the file.
        let cleanup = File::open(&path).unwrap();
        cleanup.lock().unwrap();
        assert!(!lock_new(&file, &path));
        drop(cleanup);
        assert!(lock_new(&file, &path));
        // Removed between its creation and the lock.
        let file = OpenOptions::new().write(true).create_new(true).open(dir.0.join("a")).unwrap();
        assert!(!lock_new(&file, &dir.0.join("b")));
        // Where an open file's name goes at once when it is removed, and can name
        // another file then (Windows may keep the name until the file is closed).
        #[cfg(unix)]
        {
            fs::remove_file(dir.0.join("a")).unwrap();
            assert!(!lock_new(&file, &dir.0.join("a")));
            fs::write(dir.0.join("a"), b"another file").unwrap();
            assert!(!lock_new(&file, &dir.0.join("a")));
        }
    }

    #[test]
    fn a_name_is_given_up_if_taken_or_cleaned_up_before_the_lock() {
        let dir = TestDir::new("create-at");
        // Taken by a file left there.
        fs::write(dir.0.join("taken"), b"left").unwrap();
        assert!(TempFile::create_at(dir.0.join("taken"), lock_new).unwrap().is_none());
        // Removed by another process's cleanup before the lock, and maybe the name taken
        // again, by a file not to be touched. (Where an open file's name goes at once
        // when it is removed: Windows may keep it until the file is closed.)
        #[cfg(unix)]
        {
            let cleaned = |file: &File, path: &Path| {
                fs::remove_file(path).unwrap();
                lock_new(file, path)
            };
            assert!(TempFile::create_at(dir.0.join("cleaned"), cleaned).unwrap().is_none());
            let retaken = |file: &File, path: &Path| {
                fs::remove_file(path).unwrap();
                fs::write(path, b"another").unwrap();
                lock_new(file, path)
            };
            assert!(TempFile::create_at(dir.0.join("retaken"), retaken).unwrap().is_none());
            assert_eq!(fs::read(dir.0.join("retaken")).unwrap(), b"another");
        }
        // Any other failure is an error.
        assert!(TempFile::create_at(dir.0.join("missing").join("x"), lock_new).is_err());
        // A free name: created, locked, and removed on drop.
        let temp = TempFile::create_at(dir.0.join("free"), lock_new).unwrap().unwrap();
        assert!(matches!(File::open(dir.0.join("free")).unwrap().try_lock(), Err(TryLockError::WouldBlock)));
        drop(temp);
        let expected: &[&str] = if cfg!(unix) { &["retaken", "taken"] } else { &["taken"] };
        assert_eq!(dir.entries(), expected);
        assert_eq!(fs::read(dir.0.join("taken")).unwrap(), b"left");
    }

    #[test]
    fn the_folder_of_a_bare_file_name_is_the_current_one() {
        assert_eq!(folder_of(Path::new("net.safetensors")), Path::new("."));
        assert_eq!(folder_of(Path::new("models/net.safetensors")), Path::new("models"));
        assert_eq!(folder_of(Path::new("/net.safetensors")), Path::new("/"));
    }

    #[cfg(unix)]
    #[test]
    fn syncing_a_missing_folder_is_an_error() {
        let dir = TestDir::new("sync");
        assert!(sync_dir(&dir.0).is_ok());
        assert!(sync_dir(&dir.0.join("missing")).is_err());
    }

    #[test]
    fn temporary_names_fit_where_the_file_name_fits() {
        for (name, pid, n) in [
            ("net.safetensors".to_string(), 1234, 0),
            ("n".repeat(255), u32::MAX, u32::MAX),
            ("é".repeat(127) + "x", 42, 7),
            ("😀".repeat(63), 42, 7),
            ("a".repeat(40), u32::MAX, u32::MAX),
        ] {
            let temp = temp_name(OsStr::new(&name), pid, n);
            let longest = name.len().max(SHORT_NAME_ROOM);
            assert!(temp.len() <= longest, "{temp:?}: {} bytes, more than {longest}", temp.len());
            assert!(temp.starts_with(&format!(".{}", &name[..4])), "{temp:?}");
            assert!(temp.ends_with(&format!(".{pid}-{n}{TEMP_SUFFIX}")), "{temp:?}");
            assert_eq!(temp_pid(&temp), Some(pid), "{temp:?}");
        }
        // Short names are kept whole.
        assert_eq!(temp_name(OsStr::new("net.safetensors"), 12, 3), format!(".net.safetensors.12-3{TEMP_SUFFIX}"));
        assert_eq!(temp_pid(&format!(".a.b.12-3{TEMP_SUFFIX}")), Some(12));
        for bad in ["", TEMP_SUFFIX, "a.1-2.backprop.tmp", ".a.1-.backprop.tmp", ".a.-2.backprop.tmp", ".a.1-2.tmp"] {
            assert_eq!(temp_pid(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_longest_file_names_save() {
        let dir = TestDir::new("long-names");
        for name in ["n".repeat(255), "é".repeat(127) + "x", "😀".repeat(63) + "abc"] {
            assert_eq!(name.len(), 255);
            let path = dir.0.join(&name);
            write_atomic(&path, |w| Ok(w.write_all(b"saved")?)).unwrap();
            assert_eq!(fs::read(&path).unwrap(), b"saved");
            assert_eq!(dir.entries(), std::slice::from_ref(&name));
            fs::remove_file(&path).unwrap();
        }
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
