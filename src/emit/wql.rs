//! WQL queries that select a range of Windows builds from `Win32_OperatingSystem`, for the
//! WMI filters of Group Policy (item-level targeting in [`super::gpp`]).
//!
//! `BuildNumber` is a string property (the `Win32_OperatingSystem` class documents it as
//! "Data type: string"), and WQL compares strings character by character, which orders
//! build numbers by value only among numbers of the same length (`'9600' > '10240'`). So
//! every comparison is made among builds of one length, tested with `LIKE` and one `_`
//! ("any single character") per digit: a range over builds of several lengths is one group
//! per length, joined by `OR`.

/// The WQL query selecting the builds from `lo` to `hi` (`None`: every later build, longer
/// numbers included).
pub fn build_range(lo: u32, hi: Option<u32>) -> String {
    let digits = |n: u32| n.to_string().len();
    let chars = |n: usize| "_".repeat(n);
    let (dl, dh) = (digits(lo), hi.map(digits));
    let mut clauses: Vec<Vec<String>> = Vec::new();
    for n in dl..=dh.unwrap_or(dl) {
        let mut atoms = vec![format!("BuildNumber LIKE '{}'", chars(n))];
        if n == dl {
            atoms.push(format!("BuildNumber >= '{lo}'"));
        }
        if let Some(h) = hi.filter(|_| Some(n) == dh) {
            atoms.push(format!("BuildNumber <= '{h}'"));
        }
        clauses.push(atoms);
    }
    if hi.is_none() {
        clauses.push(vec![format!("BuildNumber LIKE '{}%'", chars(dl + 1))]);
    }
    let many = clauses.len() > 1;
    let disjuncts: Vec<String> = clauses
        .into_iter()
        .map(|atoms| {
            let c = atoms.join(" AND ");
            if many && atoms.len() > 1 {
                format!("({c})")
            } else {
                c
            }
        })
        .collect();
    format!(
        "SELECT * FROM Win32_OperatingSystem WHERE {}",
        disjuncts.join(" OR ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_queries_compare_builds_of_one_length() {
        assert_eq!(
            build_range(20348, None),
            "SELECT * FROM Win32_OperatingSystem WHERE (BuildNumber LIKE '_____' AND BuildNumber >= '20348') OR BuildNumber LIKE '______%'"
        );
        assert_eq!(
            build_range(10240, Some(20347)),
            "SELECT * FROM Win32_OperatingSystem WHERE BuildNumber LIKE '_____' AND BuildNumber >= '10240' AND BuildNumber <= '20347'"
        );
        assert_eq!(
            build_range(7601, Some(10239)),
            "SELECT * FROM Win32_OperatingSystem WHERE (BuildNumber LIKE '____' AND BuildNumber >= '7601') OR (BuildNumber LIKE '_____' AND BuildNumber <= '10239')"
        );
        assert!(build_range(900, Some(120_000)).contains("OR BuildNumber LIKE '____' OR BuildNumber LIKE '_____' OR (BuildNumber LIKE '______' AND BuildNumber <= '120000')"));
    }
}
