import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  // Tauri serves the built files itself; nothing is fetched from elsewhere at run time.
  build: { outDir: "dist", emptyOutDir: true, target: "safari16", assetsInlineLimit: 0 },
  clearScreen: false,
  // Component tests mount Svelte's browser build in jsdom.
  resolve: mode === "test" ? { conditions: ["browser"] } : undefined,
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
  },
}));
