//! Reading a ustar archive (POSIX tar): how the user programs travel as one
//! boot module.
//!
//! GRUB on a 4 MiB machine runs out of memory with more than a handful of
//! boot modules, so the build packs every user program into one archive
//! (`scripts/mkiso.sh`), and the kernel finds each program in it by name.
//! Only what that needs is read: regular files, names up to 100 bytes, in
//! 512-byte blocks.
//!
//! ```text
//!  [header 512][file bytes, padded to 512] [header][bytes] ... [512 zeros][512 zeros]
//!  header: name[0..100], size[124..136] (octal), checksum[148..156], type[156],
//!          "ustar" magic[257..262]
//! ```
//!
//! The archive is untrusted input: every header is checked (magic,
//! checksum, size within the archive) and a bad one ends the walk with an
//! error, never a panic.

use core::fmt;

const BLOCK: usize = 512;

/// A file in the archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Its name (a leading `./` removed).
    pub name: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// What is wrong with an archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UstarError {
    /// The header at this offset lacks the `ustar` magic.
    NotUstar(usize),
    /// The header at this offset fails its checksum.
    Checksum(usize),
    /// A number field at this offset is not octal.
    BadNumber(usize),
    /// The file at this offset runs past the archive's end.
    Truncated(usize),
    /// The name at this offset is not UTF-8.
    BadName(usize),
}

impl fmt::Display for UstarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UstarError::NotUstar(at) => write!(f, "no ustar header at offset {at}"),
            UstarError::Checksum(at) => write!(f, "the header at offset {at} fails its checksum"),
            UstarError::BadNumber(at) => {
                write!(f, "a number in the header at offset {at} is not octal")
            }
            UstarError::Truncated(at) => {
                write!(f, "the file at offset {at} runs past the archive's end")
            }
            UstarError::BadName(at) => write!(f, "the name at offset {at} is not UTF-8"),
        }
    }
}

/// Whether `bytes` starts like a ustar archive.
pub fn is_archive(bytes: &[u8]) -> bool {
    bytes.len() >= BLOCK && &bytes[257..262] == b"ustar"
}

fn octal(field: &[u8], at: usize) -> Result<usize, UstarError> {
    let mut value: usize = 0;
    for &b in field.iter().skip_while(|&&b| b == b' ') {
        match b {
            b'0'..=b'7' => {
                value = value
                    .checked_mul(8)
                    .and_then(|v| v.checked_add(usize::from(b - b'0')))
                    .ok_or(UstarError::BadNumber(at))?;
            }
            0 | b' ' => break,
            _ => return Err(UstarError::BadNumber(at)),
        }
    }
    Ok(value)
}

/// The archive's regular files, in order; stops at the end marker, or with
/// an error at the first bad header.
pub fn entries(archive: &[u8]) -> impl Iterator<Item = Result<Entry<'_>, UstarError>> + '_ {
    let mut at = 0;
    let mut failed = false;
    core::iter::from_fn(move || {
        loop {
            if failed || at + BLOCK > archive.len() {
                return None;
            }
            let header = &archive[at..at + BLOCK];
            if header.iter().all(|&b| b == 0) {
                return None;
            }
            let result = entry(archive, at);
            match result {
                Ok((next, Some(e))) => {
                    at = next;
                    return Some(Ok(e));
                }
                Ok((next, None)) => at = next,
                Err(e) => {
                    failed = true;
                    return Some(Err(e));
                }
            }
        }
    })
}

/// The entry whose header is at `at`: the next header's offset, and the
/// file if it is a regular one.
fn entry(archive: &[u8], at: usize) -> Result<(usize, Option<Entry<'_>>), UstarError> {
    let header = &archive[at..at + BLOCK];
    if &header[257..262] != b"ustar" {
        return Err(UstarError::NotUstar(at));
    }
    let stored = octal(&header[148..156], at)?;
    let sum: usize = header
        .iter()
        .enumerate()
        .map(|(i, &b)| if (148..156).contains(&i) { 32 } else { usize::from(b) })
        .sum();
    if sum != stored {
        return Err(UstarError::Checksum(at));
    }
    let size = octal(&header[124..136], at)?;
    let start = at + BLOCK;
    let end =
        start.checked_add(size).filter(|&e| e <= archive.len()).ok_or(UstarError::Truncated(at))?;
    let next = start + size.div_ceil(BLOCK) * BLOCK;
    let kind = header[156];
    if kind != b'0' && kind != 0 {
        return Ok((next, None)); // a directory, a link: not a program
    }
    let name_len = header[..100].iter().position(|&b| b == 0).unwrap_or(100);
    let name = core::str::from_utf8(&header[..name_len]).map_err(|_| UstarError::BadName(at))?;
    let name = name.strip_prefix("./").unwrap_or(name);
    Ok((next, Some(Entry { name, bytes: &archive[start..end] })))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header for `name` of `size` bytes, with a correct checksum.
    fn header(name: &str, size: usize, kind: u8) -> Vec<u8> {
        let mut h = vec![0u8; BLOCK];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        h[156] = kind;
        h[257..263].copy_from_slice(b"ustar\0");
        h[148..156].copy_from_slice(b"        ");
        let sum: usize = h.iter().map(|&b| usize::from(b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        h
    }

    fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut a = Vec::new();
        a.extend(header("./", 0, b'5'));
        for (name, bytes) in files {
            a.extend(header(name, bytes.len(), b'0'));
            a.extend_from_slice(bytes);
            a.resize(a.len().next_multiple_of(BLOCK), 0);
        }
        a.extend([0u8; 2 * BLOCK]);
        a
    }

    #[test]
    fn files_come_out_by_name_and_directories_are_skipped() {
        let a = archive(&[("./hello", b"HELLO"), ("fuzz", &[7u8; 700])]);
        assert!(is_archive(&a));
        let got: Vec<_> = entries(&a).collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], Entry { name: "hello", bytes: b"HELLO" });
        assert_eq!(got[1].name, "fuzz");
        assert_eq!(got[1].bytes.len(), 700);
    }

    #[test]
    fn a_bad_header_is_an_error_not_a_panic() {
        let mut a = archive(&[("hello", b"HELLO")]);
        a[BLOCK + 3] ^= 1; // the second header's name: the checksum no longer matches
        let got: Vec<_> = entries(&a).collect();
        assert_eq!(got, [Err(UstarError::Checksum(BLOCK))]);
        let a = archive(&[("hello", &[1u8; 600])]);
        let cut = &a[..BLOCK * 2 + 10];
        assert_eq!(entries(cut).collect::<Vec<_>>(), [Err(UstarError::Truncated(BLOCK))]);
        assert!(!is_archive(b"\x7fELF"));
        assert!(!is_archive(&[0u8; 600]));
        assert_eq!(entries(&[]).count(), 0);
    }
}
