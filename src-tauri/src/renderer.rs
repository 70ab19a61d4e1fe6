//! Which of WebKitGTK's two ways of handing frames to the window paints it. Since 2.42 the web
//! process shares each frame as a DMA-BUF, which a GPU passes on without a copy. With no GPU to
//! allocate them (no DRM render node: a virtual display, a VM or a container without one) those
//! buffers are copied through shared memory instead, and scrolling the balance list took 50–60 ms
//! a frame on such a machine, against 17–20 ms with the renderer before it (the window benchmark,
//! under Xvfb). There the older renderer is chosen; with a render node WebKit keeps its default.

use std::ffi::OsStr;
use std::path::Path;

/// WebKitGTK's own switch; a value the user set is left as it is, whichever way it says.
const DISABLE_DMABUF: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";
/// Where DRM devices are, the render nodes among them named `renderD<minor>`.
const DRI: &str = "/dev/dri";

/// Chooses the renderer for this machine. Must run before any other thread starts.
pub fn choose() {
    if std::env::var_os(DISABLE_DMABUF).is_some() || has_render_node(Path::new(DRI)) {
        return;
    }
    // SAFETY: called first thing in `main`, before the app starts a thread, so no other thread can
    // be reading the environment while it changes.
    #[expect(
        unsafe_code,
        reason = "the environment is WebKitGTK's only switch for its renderer"
    )]
    unsafe {
        std::env::set_var(DISABLE_DMABUF, "1");
    }
}

/// Whether `dri` holds a render node, which DMA-BUF frames need to be allocated on a GPU.
fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| is_render_node(&entry.file_name()))
    })
}

fn is_render_node(name: &OsStr) -> bool {
    name.to_str()
        .is_some_and(|name| name.starts_with("renderD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_node_keeps_the_dmabuf_renderer() {
        let dri = tempfile::tempdir().unwrap();
        std::fs::write(dri.path().join("card0"), "").unwrap();
        std::fs::write(dri.path().join("renderD128"), "").unwrap();
        assert!(has_render_node(dri.path()));
    }

    #[test]
    fn a_display_card_alone_is_no_render_node() {
        let dri = tempfile::tempdir().unwrap();
        std::fs::write(dri.path().join("card0"), "").unwrap();
        std::fs::create_dir(dri.path().join("by-path")).unwrap();
        assert!(!has_render_node(dri.path()));
    }

    #[test]
    fn no_dri_folder_is_no_render_node() {
        let dri = tempfile::tempdir().unwrap();
        assert!(!has_render_node(&dri.path().join("dri")));
    }
}
