//! Cell decoding: every cell is UTF-8 or, failing that, Windows-1252 — per cell,
//! so one Excel cell pasted from elsewhere does not turn a UTF-8 file into mojibake.

/// A decoded cell.
pub(super) struct Decoded {
    pub(super) text: String,
    /// The cell was not UTF-8 and was read as Windows-1252.
    pub(super) windows_1252: bool,
    /// First byte that Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D).
    pub(super) undefined: Option<u8>,
}

/// UTF-8 when the cell is valid UTF-8, else Windows-1252 (what Excel writes for
/// "CSV" on a Windows machine), decoded by `encoding_rs` as the WHATWG Encoding
/// Standard has it. The five bytes the code page leaves undefined decode to the C1
/// control of the same value (as Latin-1 does), so the text stays lossless, and are
/// flagged.
pub(super) fn decode(bytes: &[u8]) -> Decoded {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Decoded {
            text: s.to_owned(),
            windows_1252: false,
            undefined: None,
        };
    }
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
    Decoded {
        text: text.into_owned(),
        windows_1252: true,
        undefined: bytes
            .iter()
            .copied()
            .find(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D)),
    }
}
