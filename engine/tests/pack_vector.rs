//! The real AIX packed stream (testdata/aix/huffman_*): our encoder must reproduce it byte for byte and our
//! decoder must restore the original.

use altdisk_engine::archive::pack::{pack, pack_to, unpack, unpack_stream, Frequencies, PackCode, PackError};
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/aix").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

#[test]
fn aix_vector_decodes_to_original() {
    let encoded = fixture("huffman_encoded.bin");
    let decoded = fixture("huffman_decoded.bin");
    assert_eq!((encoded.len(), decoded.len()), (5838, 13892));
    let out = unpack(&encoded, decoded.len() as u64).expect("decode AIX stream");
    assert!(out == decoded, "decoded bytes differ from huffman_decoded.bin");
}

#[test]
fn aix_vector_encodes_byte_identically() {
    let encoded = fixture("huffman_encoded.bin");
    let decoded = fixture("huffman_decoded.bin");
    let packed = pack(&decoded).expect("AIX packs this file");
    assert_eq!(&packed[..17], b"\x05\x00\x01\x02\x07\x00 1234567890");
    let first_diff = packed.iter().zip(&encoded).position(|(a, b)| a != b);
    assert_eq!(first_diff, None, "first differing byte");
    assert_eq!(packed.len(), encoded.len());

    let mut freq = Frequencies::new();
    freq.add(&decoded);
    let code = PackCode::build(&freq).expect("code");
    assert_eq!(code.maxlev(), 5);
    assert_eq!(code.packed_size(&freq), encoded.len() as u64);
    let mut streamed = Vec::new();
    let n = pack_to(&code, &mut &decoded[..], &mut streamed).expect("pack_to");
    assert_eq!(n, encoded.len() as u64);
    assert!(streamed == encoded);
}

#[test]
fn aix_vector_stops_at_dsize_and_checks_size() {
    let encoded = fixture("huffman_encoded.bin");
    let decoded = fixture("huffman_decoded.bin");
    // As in an archive: the packed bytes are followed by filler up to the next 8-byte boundary and more data.
    let mut stream = encoded.clone();
    stream.extend_from_slice(&[0xAA; 2 + 8]);
    let mut input = &stream[..];
    let mut out = Vec::new();
    unpack_stream(&mut input, encoded.len() as u64, decoded.len() as u64, &mut out).expect("decode");
    assert_eq!(input.len(), 10, "must read exactly dsize bytes");
    assert!(out == decoded);

    let err = unpack(&encoded, decoded.len() as u64 + 1).unwrap_err();
    assert!(matches!(err, PackError::SizeMismatch { expected: 13893, got: 13892 }), "{err}");
    assert_eq!(err.to_string(), "packed data: file size error: expected 13893 bytes, got 13892");
}
