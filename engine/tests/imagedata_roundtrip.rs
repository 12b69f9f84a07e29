//! image.data / bosinst.data: lossless parse and write, typed values, errors naming line and field.

use altdisk_engine::imagedata::{self, BosinstData, FsKind, ImageData};

const SAMPLE: &[u8] = include_bytes!("../../testdata/imagedata/sample72.image.data");
const BOSINST: &[u8] = include_bytes!("../../testdata/imagedata/sample.bosinst.data");

#[test]
fn sample72_round_trips_byte_for_byte() {
    let img = ImageData::parse("sample72.image.data", SAMPLE).unwrap();
    assert_eq!(img.to_text().as_bytes(), SAMPLE);
}

#[test]
fn sample72_typed_values() {
    let img = ImageData::parse("sample72.image.data", SAMPLE).unwrap();
    assert_eq!(img.vg_name(), Some("rootvg"));
    assert_eq!(img.vg_pp_size().unwrap(), 32);
    assert!(!img.shrink());
    let disks = img.source_disks().unwrap();
    assert_eq!(disks.len(), 1);
    assert_eq!(disks[0].hdiskname, "hdisk0");
    assert_eq!(disks[0].size_mb, 20480);
    assert_eq!(disks[0].pvid, "00f6db0acc7aece5");
    let lvs = img.lvs().unwrap();
    let names: Vec<&str> = lvs.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "hd5",
            "hd8",
            "hd4",
            "hd6",
            "hd2",
            "hd9var",
            "hd3",
            "hd1",
            "loglv00",
            "hd10opt",
            "hd11admin",
            "lg_dumplv",
            "livedump"
        ]
    );
    let hd4 = &lvs[2];
    assert_eq!((hd4.lps, hd4.pp, hd4.min_lps, hd4.copies), (8, 8, 5, 1));
    assert_eq!(hd4.mount_point, "/");
    assert!(hd4.separate_pv);
    let fss = img.filesystems().unwrap();
    assert_eq!(fss.len(), 8);
    assert_eq!(fss[0].name, "/");
    assert_eq!(fss[0].size_blocks, 524288);
    assert_eq!(fss[0].min_size_blocks, 296112);
    assert_eq!(fss[0].lv_name(), "hd4");
    assert_eq!(fss[0].kind, FsKind::Jfs2 { block_size: 4096, inline_log: false, ea_v2: true });
    assert_eq!(fss[1].name, "/home");
    assert_eq!(fss[1].kind, FsKind::Jfs { frag: 4096, nbpi: 4096, compress: false, bf: false, agsize_mb: 8 });
}

#[test]
fn comments_unknown_fields_and_order_survive() {
    let text = "##Command used for vg_data; /usr/sbin/lsvg\n\nvg_data:\n\tVGNAME= rootvg\n\tNEW_FIELD_X= 42\n\
                \tPPSIZE= 64\n\t# an indented comment\n\tZZZ=\n\nfs_data:    # a header comment\n\tFS_NAME= /\n\
                \tFS_SIZE= 10\n\tFS_FUTURE= yes\n";
    let img = ImageData::parse("t", text.as_bytes()).unwrap();
    assert_eq!(img.to_text(), text);
    let vg = img.file().first("vg_data").unwrap();
    let keys: Vec<&str> = vg.fields().map(|f| f.key.as_str()).collect();
    assert_eq!(keys, ["VGNAME", "NEW_FIELD_X", "PPSIZE", "ZZZ"]);
    assert_eq!(vg.get("ZZZ"), Some(""));
    assert_eq!(img.filesystems().unwrap()[0].name, "/");
}

#[test]
fn crlf_and_missing_final_newline_round_trip() {
    let text =
        "vg_data:\r\n\tVGNAME= rootvg\r\n\tPPSIZE= 32  \r\n\r\nlv_data:\r\n\tLOGICAL_VOLUME= hd4\r\n\tLPs= 3";
    let img = ImageData::parse("t", text.as_bytes()).unwrap();
    assert_eq!(img.to_text(), text);
    assert_eq!(img.vg_pp_size().unwrap(), 32);
    assert_eq!(img.lvs().unwrap()[0].lps, 3);
}

#[test]
fn edits_use_canonical_form_and_keep_the_rest() {
    let mut img =
        ImageData::parse("t", b"vg_data:\n\tVGNAME= rootvg\n\tPPSIZE= 32\n\tX=   keep  me\n").unwrap();
    let st = img.file_mut().stanzas_mut().next().unwrap();
    st.set("PPSIZE", "64");
    st.set_after("VGNAME", "VARYON", "yes");
    st.set("EMPTY", "");
    assert_eq!(
        img.to_text(),
        "vg_data:\n\tVGNAME= rootvg\n\tVARYON= yes\n\tPPSIZE= 64\n\tX=   keep  me\n\tEMPTY=\n"
    );
}

#[test]
fn syntax_error_names_the_line() {
    let e = ImageData::parse("bad.data", b"vg_data:\n\tVGNAME= rootvg\nthis is not a stanza\n").unwrap_err();
    assert_eq!(e.to_string(), "bad.data:3: expected a stanza header 'name:', found 'this is not a stanza'");
    let e = imagedata::parse("bad.data", b"vg_data:\n\tno equals sign\n").unwrap_err();
    assert_eq!(e.to_string(), "bad.data:2: expected FIELD= value, found 'no equals sign'");
}

#[test]
fn field_errors_name_line_and_field() {
    let e = imagedata::parse("f", b"\tPPSIZE= 32\n").unwrap_err();
    assert_eq!(e.to_string(), "f:1: PPSIZE: field outside any stanza");
    let e = ImageData::parse("f", b"vg_data:\n\tVGNAME= rootvg\n\tPPSIZE= big\n").unwrap_err();
    assert_eq!(e.to_string(), "f:3: PPSIZE: 'big' is not a whole number");
    let e = ImageData::parse("f", b"vg_data:\n\tPPSIZE= 48\n").unwrap_err();
    assert_eq!(e.to_string(), "f:2: PPSIZE: 48 is not a power of two");
    let text = b"vg_data:\n\tPPSIZE= 32\n\nlv_data:\n\tLOGICAL_VOLUME= hd4\n\tCOPIES= 1\n";
    let e = ImageData::parse("f", text).unwrap_err();
    assert_eq!(e.to_string(), "f:4: LPs: missing in lv_data");
    let text = b"vg_data:\n\tPPSIZE= 32\n\nfs_data:\n\tFS_NAME= /home\n\tFS_SIZE= 8\n\tFS_FS= 3000\n";
    let e = ImageData::parse("f", text).unwrap_err();
    assert_eq!(e.to_string(), "f:7: FS_FS: 3000 is not 512, 1024, 2048 or 4096");
}

#[test]
fn not_utf8_names_the_line() {
    let e = imagedata::parse("f", b"vg_data:\n\tVGNAME= r\xffvg\n").unwrap_err();
    assert_eq!(e.to_string(), "f:2: the line is not valid UTF-8");
}

#[test]
fn bosinst_round_trips_and_reads() {
    let b = BosinstData::parse("bosinst.data", BOSINST).unwrap();
    assert_eq!(b.to_text().as_bytes(), BOSINST);
    assert_eq!(b.control_flow("INSTALL_METHOD"), Some("overwrite"));
    assert_eq!(b.control_flow("ERROR_EXIT"), Some(""));
    assert_eq!(b.locale("KEYBOARD"), Some("en_US"));
    let t = b.target_disks().unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!((t[0].hdiskname.as_str(), t[0].size_mb), ("hdisk0", 20480));
    assert_eq!(b.file().first("large_dumplv").unwrap().get("SIZEGB"), Some("1"));
}
