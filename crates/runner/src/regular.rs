//! Opening a matrix file: only regular files are read, and a path that is anything else is named for what it is.
//!
//! A FIFO would block the run forever, `/dev/zero` would be read until memory ran out, and a
//! directory or a symlink loop deserves a better reason than "no such file".

use std::fs::{File, Metadata};
use std::path::Path;

/// What kind of thing `meta` describes, in words.
fn what(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// Open the regular file at `path` (following symlinks) for reading, with its size in bytes;
/// anything else is refused, saying what the path is.
pub fn open_regular(path: &Path) -> Result<(File, u64), String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound if path.symlink_metadata().is_ok() => {
            format!("cannot read `{shown}`: a symbolic link to nothing")
        }
        std::io::ErrorKind::NotFound => format!("cannot read `{shown}`: no such file"),
        _ if e.raw_os_error() == Some(40) => {
            format!("cannot read `{shown}`: a loop of symbolic links")
        }
        _ => format!("cannot read `{shown}`: {e}"),
    })?;
    if !meta.is_file() {
        return Err(format!(
            "cannot read `{shown}`: it is {}; a matrix file must be a regular file",
            what(&meta)
        ));
    }
    let file = File::open(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    // The path may have been swapped between the two looks: check what was opened.
    let opened = file
        .metadata()
        .map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if !opened.is_file() {
        return Err(format!(
            "cannot read `{shown}`: it is {}; a matrix file must be a regular file",
            what(&opened)
        ));
    }
    Ok((file, opened.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_opens_with_its_size() {
        let path = std::env::temp_dir().join(format!("descent-regular-{}", std::process::id()));
        std::fs::write(&path, "1,2\n").unwrap();
        assert_eq!(open_regular(&path).unwrap().1, 4);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn anything_else_is_named_for_what_it_is() {
        let dir = std::env::temp_dir();
        let err = open_regular(&dir).unwrap_err();
        assert!(err.contains("a directory"), "{err}");
        let err = open_regular(Path::new("/no/such/descent/file")).unwrap_err();
        assert!(err.contains("no such file"), "{err}");
        #[cfg(unix)]
        {
            let err = open_regular(Path::new("/dev/zero")).unwrap_err();
            assert!(err.contains("a character device"), "{err}");
            let looped = dir.join(format!("descent-loop-{}", std::process::id()));
            let _ = std::fs::remove_file(&looped);
            std::os::unix::fs::symlink(&looped, &looped).unwrap();
            let err = open_regular(&looped).unwrap_err();
            assert!(err.contains("loop of symbolic links"), "{err}");
            std::fs::remove_file(&looped).unwrap();
        }
    }
}
