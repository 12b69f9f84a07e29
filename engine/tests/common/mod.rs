//! Test helpers shared by the archive tests.
#![allow(dead_code)]

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::io::Read;

/// A reader that returns short reads of random length (1..=max), seeded so failures reproduce.
pub struct ShortReader<'a> {
    data: &'a [u8],
    rng: SmallRng,
    max: usize,
}

impl<'a> ShortReader<'a> {
    pub fn new(data: &'a [u8], seed: u64) -> Self {
        ShortReader { data, rng: SmallRng::seed_from_u64(seed), max: 97 }
    }
}

impl Read for ShortReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.data.is_empty() || buf.is_empty() {
            return Ok(0);
        }
        let n = self.rng.gen_range(1..=self.max).min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}
