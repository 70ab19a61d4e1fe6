pub mod chains;
