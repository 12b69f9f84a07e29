//! The altdisk engine.
//!
//! All behaviour of altdisk lives here; the `altdisk` binary only parses arguments, renders events and maps
//! errors to exit codes. The engine never prints and never exits: it reports through the [`events::Events`]
//! trait and returns typed errors ([`Error`]).
//!
//! The core is one pipeline with three stages (see `docs/ARCHITECTURE.md`):
//!
//! * reader: [`walk`] (live filesystems) or [`archive::reader`] (a by-name archive),
//! * filter: [`exclude`] (grep-style exclude lists) and name selection,
//! * writer: [`tree`] (a directory tree), [`archive::writer`] (a by-name archive), a listing or [`space`].
//!
//! The currency between the stages is [`entry::Entry`].
#![deny(missing_docs)]

pub mod acl;
pub mod altdisk;
pub mod archive;
pub mod batch;
pub mod bench;
pub mod clock;
pub mod convert;
pub mod entry;
pub mod error;
pub mod events;
pub mod exclude;
pub mod fdtable;
pub mod host;
pub mod imagedata;
pub mod installp;
pub mod live;
pub mod pipeline;
pub mod prefetch;
pub mod select;
pub mod space;
pub mod threads;
pub mod tree;
pub mod verify;
pub mod walk;

pub use entry::{DevId, Entry, EntryData, Kind, Meta, Timestamp};
pub use error::{Error, Result};
pub use events::{Event, Events, NoEvents};
