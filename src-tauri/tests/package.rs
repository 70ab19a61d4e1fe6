//! The package a person installs: `npx tauri build --bundles deb` makes a .deb that names its
//! system libraries, puts a desktop entry in the Finance menu, and whose app, installed into a
//! temporary root, opens its window and paints the dashboard.

mod window;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use fantoccini::Locator;
use window::{Window, built, target_dir};

fn deb_field(deb: &Path, field: &str) -> String {
    let output = Command::new("dpkg-deb")
        .args(["--field", deb.to_str().unwrap(), field])
        .output()
        .expect("dpkg-deb");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deb_installs_an_app_that_opens_its_window() {
    let built = built("debug");
    let deb = &built.deb;
    assert_eq!(deb_field(deb, "Package"), "holdings");
    let depends = deb_field(deb, "Depends");
    assert!(depends.contains("libwebkit2gtk-4.1-0"), "{depends}");
    assert!(depends.contains("libgtk-3-0"), "{depends}");

    let root = tempfile::tempdir().unwrap();
    let unpacked = Command::new("dpkg-deb")
        .args(["-x", deb.to_str().unwrap(), root.path().to_str().unwrap()])
        .status()
        .expect("dpkg-deb");
    assert!(unpacked.success());
    let entry =
        std::fs::read_to_string(root.path().join("usr/share/applications/holdings.desktop"))
            .expect("a desktop entry");
    assert!(entry.contains("Exec=holdings-desktop"), "{entry}");
    assert!(
        entry.contains("Categories=") && entry.contains("Finance"),
        "{entry}"
    );
    assert!(
        root.path()
            .join("usr/share/icons/hicolor/128x128/apps/holdings-desktop.png")
            .exists()
            || root
                .path()
                .join("usr/share/icons/hicolor/128x128/apps/holdings.png")
                .exists()
    );

    let installed = root.path().join("usr/bin/holdings-desktop");
    let size = |path: &Path| std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0);
    assert_eq!(
        size(&installed),
        size(&built.app),
        "the app built is the app packaged, in usr/bin"
    );
    let data = tempfile::tempdir().unwrap();
    let log = target_dir().join("package-driver.log");
    let window = Window::open(&installed, data.path(), &log).await;
    window
        .client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("button[aria-label='Preload']"))
        .await
        .expect("the installed app paints its dashboard");
    assert!(
        data.path().join("holdings.db").exists(),
        "it opened its data dir"
    );
    window.close().await;
}
