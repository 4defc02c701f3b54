//! Framing of records in an append-only file: `[len u32][fnv64 of payload][payload]`, so that
//! a torn tail (a crash in the middle of a write) is recognised and cut off at recovery.

/// A frame holding `payload`.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).expect("a record is under 4 GiB");
    let mut out = Vec::with_capacity(12 + payload.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&fnv64(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The payloads of the whole frames at the start of `bytes`, and the length they cover (what
/// follows is a torn or corrupt tail).
pub fn unframe(bytes: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut payloads = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + 12) {
        let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
        let sum = u64::from_le_bytes(header[4..].try_into().expect("8 bytes"));
        let Some(payload) = bytes.get(at + 12..at + 12 + len) else {
            break;
        };
        if fnv64(payload) != sum {
            break;
        }
        payloads.push(payload);
        at += 12 + len;
    }
    (payloads, at)
}

fn fnv64(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_tail_is_cut_off() {
        let mut bytes = frame(b"one");
        bytes.extend(frame(b"two"));
        let whole = bytes.len();
        bytes.extend(&frame(b"three")[..7]);
        let (payloads, valid) = unframe(&bytes);
        assert_eq!(payloads, [b"one".as_slice(), b"two"]);
        assert_eq!(valid, whole);
    }
}
