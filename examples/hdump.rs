fn main() {
    let a: Vec<String> = std::env::args().collect();
    let h = tlsreg::hive::HiveFile::open(std::path::Path::new(&a[1])).unwrap_or_else(|e| { eprintln!("{e}"); std::process::exit(2) });
    eprintln!("{:?}", h.header);
    let r = h.extract(&a[2], &[tlsreg::hive::Request::Tree(a[3].clone())]).unwrap_or_else(|e| { eprintln!("{e}"); std::process::exit(2) });
    for l in r.value_lines() { println!("{l}"); }
}
