//! The expansion guard's second line: when yaml-rust2 (which counts the expanded size for
//! [`crate::yamlpos::PosIndex`]) stops before the end of a document that libyaml may still
//! accept, serde_yaml's own expansion is counted, without building anything, and stopped
//! as soon as it outgrows the bound.

use crate::yamlpos::{Bound, Pos};
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use std::cell::Cell;

/// Where (as serde_yaml reports it) and past what the expanded document outgrows `bound`;
/// `None` when it does not, or when serde_yaml fails first (decoding then reports that).
pub(super) fn check(src: &str, bound: Bound) -> Option<(Pos, String)> {
    let used = Cell::new((0u64, 0u64));
    let count = Count { used: &used, bound };
    match count.deserialize(serde_yaml::Deserializer::from_str(src)) {
        Ok(()) => None,
        Err(e) => {
            // `path.to[1]: expanded past ... at line L column C`: only the middle is ours.
            let msg = e.to_string();
            let tail = &msg[msg.find(OVER)? + OVER.len()..];
            let what = tail.split(" at line ").next().unwrap_or(tail).to_string();
            let at = e.location().map_or(
                Pos {
                    line: 1,
                    col: 1,
                    len: 1,
                },
                |l| Pos {
                    line: l.line(),
                    col: l.column(),
                    len: 1,
                },
            );
            Some((at, what))
        }
    }
}

/// The start of the error a [`Count`] stops with.
const OVER: &str = "expanded past ";

#[derive(Clone, Copy)]
struct Count<'a> {
    used: &'a Cell<(u64, u64)>,
    bound: Bound,
}

impl Count<'_> {
    fn take<E: de::Error>(self, bytes: usize) -> Result<(), E> {
        let (b, n) = self.used.get();
        let (b, n) = (b.saturating_add(bytes as u64), n.saturating_add(1));
        self.used.set((b, n));
        if b > self.bound.bytes {
            return Err(E::custom(format!(
                "{OVER}{} bytes of text",
                self.bound.bytes
            )));
        }
        if n > self.bound.nodes {
            return Err(E::custom(format!("{OVER}{} nodes", self.bound.nodes)));
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Count<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Count<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.take(0)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.take(0)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.take(0)
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        self.take(0)
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        self.take(0)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.take(0)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.take(s.len())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.take(0)
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.take(0)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        self.take(0)?;
        while a.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        self.take(0)?;
        while a.next_key_seed(self)?.is_some() {
            a.next_value_seed(self)?;
        }
        Ok(())
    }
    fn visit_enum<A: EnumAccess<'de>>(self, a: A) -> Result<(), A::Error> {
        // A tagged value: the tag, then what it tags.
        let ((), v) = a.variant_seed(self)?;
        v.newtype_variant_seed(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_yaml_expansion_is_counted_and_stopped() {
        let bound = Bound {
            bytes: 100,
            nodes: 1000,
        };
        let ok = format!("a: &x {}\nb: [*x, *x]\n", "y".repeat(30));
        assert_eq!(check(&ok, bound), None);
        let mut bomb = String::from("l0: &l0 [a,a,a,a,a,a,a,a,a,a]\n");
        for i in 1..10 {
            bomb.push_str(&format!(
                "l{i}: &l{i} [{}]\n",
                vec![format!("*l{}", i - 1); 10].join(",")
            ));
        }
        let nodes = Bound {
            bytes: 1 << 20,
            nodes: 1000,
        };
        assert_eq!(check(&bomb, nodes).expect("over").1, "1000 nodes");
        let tagged = format!("a: !t &x {}\nb: [*x, *x, *x, *x]\n", "y".repeat(30));
        assert_eq!(check(&tagged, bound).unwrap().1, "100 bytes of text");
        // Not valid YAML: no verdict here; decoding reports the syntax error.
        assert_eq!(check("a: [", bound), None);
    }
}
