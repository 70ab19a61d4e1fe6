//! Builds the Tauri context. Listing the app's commands here makes each one need a permission, so the
//! window's capability (capabilities/default.json) grants exactly these and nothing else.

const COMMANDS: &[&str] = &[
    "overview",
    "balance_history",
    "check_wallet",
    "add_wallet",
    "import_wallets",
    "label_wallet",
    "remove_wallet",
    "chains",
    "set_chain_active",
    "add_endpoint",
    "remove_endpoint",
    "move_endpoint",
    "save_api_key",
    "ttls",
    "set_ttls",
    "price_source",
    "set_price_ttl",
    "start_sync",
    "preload",
    "refresh",
    "connectivity",
    "find_tokens",
    "token_counts",
    "export_csv",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("the Tauri build step failed");
}
