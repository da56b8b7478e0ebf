//! GPT: the known partition types, the primary and backup headers (each checked, CRC32s
//! included), and the entry array read into a [`Table`].

use super::{
    crc32, u16le, u32le, u64le, Kind, PartitionInfo, Placed, Scheme, Table, MAX_GPT_ENTRY_BYTES,
};
use crate::image::volume::VolumeError;
use crate::source::ReadAt;

/// Known GPT partition types: GUID, name, kind.
const GPT_TYPES: &[(&str, &str, Kind)] = &[
    (
        "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
        "EFI system",
        Kind::EfiSystem,
    ),
    (
        "E3C9E316-0B5C-4DB8-817D-F92DF00215AE",
        "Microsoft reserved",
        Kind::MicrosoftReserved,
    ),
    (
        "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7",
        "Microsoft basic data",
        Kind::BasicData,
    ),
    (
        "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC",
        "Windows recovery",
        Kind::Recovery,
    ),
    (
        "5808C8AA-7E8F-42E0-85D2-E1E90434CFB3",
        "LDM metadata",
        Kind::Ldm,
    ),
    (
        "AF9B60A0-1431-4F62-BC68-3311714A69AD",
        "LDM data",
        Kind::Ldm,
    ),
    (
        "E75CAF8F-F680-4CEE-AFA3-B001E56EFC2D",
        "Storage Spaces",
        Kind::StorageSpaces,
    ),
    (
        "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
        "Linux filesystem",
        Kind::Other,
    ),
    (
        "21686148-6449-6E6F-744E-656564454649",
        "BIOS boot",
        Kind::Other,
    ),
];

/// A GUID as stored on disk (the first three fields little-endian), in upper case.
pub fn guid_string(b: &[u8]) -> String {
    format!(
        "{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
        u32le(b, 0),
        u16le(b, 4),
        u16le(b, 6),
        b[8],
        b[9],
        b[10],
        b[11],
        b[12],
        b[13],
        b[14],
        b[15]
    )
}

pub(super) fn gpt_type(guid: &str) -> (String, Kind) {
    GPT_TYPES
        .iter()
        .find(|(g, _, _)| *g == guid)
        .map(|(_, n, k)| (n.to_string(), *k))
        .unwrap_or_else(|| ("unknown".to_string(), Kind::Other))
}

struct GptHeader {
    lba: u64,
    alternate_lba: u64,
    first_usable: u64,
    last_usable: u64,
    entries_lba: u64,
    num_entries: u64,
    entry_size: u64,
    entries_crc: u32,
}

/// The header at `lba`, checked (signature, size, CRC32, its own LBA, entry size and
/// count, the entries inside the disk), or why not.
fn gpt_header(disk: &dyn ReadAt, lba: u64, ss: u64) -> Result<GptHeader, String> {
    let mut b = vec![0u8; ss as usize];
    let at = lba
        .checked_mul(ss)
        .ok_or_else(|| "its LBA is past the end of any disk".to_string())?;
    disk.read_exact_at(&mut b, at)
        .map_err(|e| format!("cannot be read ({e})"))?;
    if &b[..8] != b"EFI PART" {
        return Err("has no \"EFI PART\" signature".into());
    }
    let header_size = u32le(&b, 12) as u64;
    if !(92..=ss).contains(&header_size) {
        return Err(format!(
            "says it is {header_size} bytes (expected 92 to {ss})"
        ));
    }
    let stored = u32le(&b, 16);
    let mut h = b[..header_size as usize].to_vec();
    h[16..20].fill(0);
    let computed = crc32(&h);
    if stored != computed {
        return Err(format!(
            "has a header CRC32 mismatch (stored {stored:#010x}, computed {computed:#010x})"
        ));
    }
    let header = GptHeader {
        lba: u64le(&b, 24),
        alternate_lba: u64le(&b, 32),
        first_usable: u64le(&b, 40),
        last_usable: u64le(&b, 48),
        entries_lba: u64le(&b, 72),
        num_entries: u32le(&b, 80) as u64,
        entry_size: u32le(&b, 84) as u64,
        entries_crc: u32le(&b, 88),
    };
    if header.lba != lba {
        return Err(format!(
            "says it is at LBA {} (it is at LBA {lba})",
            header.lba
        ));
    }
    let es = header.entry_size;
    if es < 128 || !es.is_power_of_two() {
        return Err(format!(
            "has an entry size of {es} bytes (it must be 128 times a power of two)"
        ));
    }
    let total = header.num_entries.saturating_mul(es);
    if total > MAX_GPT_ENTRY_BYTES {
        return Err(format!(
            "has {} entries of {es} bytes ({total} bytes, more than the {MAX_GPT_ENTRY_BYTES} tlsreg reads)",
            header.num_entries
        ));
    }
    let end = header
        .entries_lba
        .checked_mul(ss)
        .and_then(|o| o.checked_add(total));
    if end.is_none_or(|e| e > disk.size()) {
        return Err(format!(
            "has its entries at LBA {} past the end of the disk",
            header.entries_lba
        ));
    }
    Ok(header)
}

/// The entry array of a checked header, with its CRC32 checked.
fn gpt_entries(disk: &dyn ReadAt, h: &GptHeader, ss: u64) -> Result<Vec<u8>, String> {
    let mut b = vec![0u8; (h.num_entries * h.entry_size) as usize];
    disk.read_exact_at(&mut b, h.entries_lba * ss)
        .map_err(|e| format!("has entries that cannot be read ({e})"))?;
    let computed = crc32(&b);
    if computed != h.entries_crc {
        return Err(format!(
            "has an entries CRC32 mismatch (stored {:#010x}, computed {computed:#010x})",
            h.entries_crc
        ));
    }
    Ok(b)
}

pub(super) fn read_gpt(disk: &dyn ReadAt, label: &str, ss: u64) -> Result<Table, VolumeError> {
    let last_lba = disk.size() / ss - 1;
    let primary = gpt_header(disk, 1, ss);
    let primary_problem = match primary.as_ref().map(|h| (h, gpt_entries(disk, h, ss))) {
        Ok((h, Ok(entries))) => {
            return Ok(gpt_table(disk, h, &entries, ss, Vec::new()));
        }
        Ok((_, Err(why))) => why,
        Err(why) => why.clone(),
    };
    // The backup header is at the last LBA; a readable primary header also says where.
    let mut candidates = vec![last_lba];
    if let Ok(h) = &primary {
        if h.alternate_lba != last_lba && h.alternate_lba > 1 && h.alternate_lba <= last_lba {
            candidates.insert(0, h.alternate_lba);
        }
    }
    let mut backup_problems = Vec::new();
    for lba in candidates {
        match gpt_header(disk, lba, ss).and_then(|h| gpt_entries(disk, &h, ss).map(|e| (h, e))) {
            Ok((h, entries)) => {
                let note = format!(
                    "the primary GPT header at LBA 1 {primary_problem}; the backup GPT header at LBA {lba} (offset {:#x}) was used",
                    lba * ss
                );
                return Ok(gpt_table(disk, &h, &entries, ss, vec![note]));
            }
            Err(why) => backup_problems.push(format!("the backup header at LBA {lba} {why}")),
        }
    }
    Err(VolumeError::Table {
        label: label.to_string(),
        offset: ss,
        message: format!(
            "no usable GPT: the primary header at LBA 1 {primary_problem}; {}",
            backup_problems.join("; ")
        ),
    })
}

fn gpt_table(
    disk: &dyn ReadAt,
    h: &GptHeader,
    entries: &[u8],
    ss: u64,
    notes: Vec<String>,
) -> Table {
    let mut t = Table {
        scheme: Scheme::Gpt,
        sector_size: ss,
        partitions: Vec::new(),
        rejected: Vec::new(),
        notes,
    };
    let mut placed = Placed::default();
    for (i, e) in entries.chunks_exact(h.entry_size as usize).enumerate() {
        if e[..16].iter().all(|&b| b == 0) {
            continue;
        }
        let type_id = guid_string(&e[..16]);
        let (type_name, kind) = gpt_type(&type_id);
        let first = u64le(e, 32);
        let last = u64le(e, 40);
        let name: Vec<u16> = e[56..128]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&c| c != 0)
            .collect();
        let name = String::from_utf16_lossy(&name);
        let offset = first.saturating_mul(ss);
        let size = last
            .checked_sub(first)
            .map(|n| n.saturating_add(1).saturating_mul(ss))
            .unwrap_or(0);
        let info = PartitionInfo {
            number: i as u32 + 1,
            offset,
            size,
            type_id,
            type_name,
            kind,
            name: (!name.is_empty()).then_some(name),
        };
        let why = if last < first {
            Some(format!(
                "its last LBA {last} is before its first LBA {first}"
            ))
        } else if first < h.first_usable || last > h.last_usable {
            Some(format!(
                "LBAs {first} to {last} lie outside the usable LBAs {} to {} of the GPT",
                h.first_usable, h.last_usable
            ))
        } else {
            placed.check(&info, disk.size())
        };
        t.place(info, why);
    }
    t
}
