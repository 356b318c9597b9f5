import wasm from 'vite-plugin-wasm';

// The bundler build of fanout imports its .wasm as an ES module (the
// WebAssembly ESM integration); vite-plugin-wasm makes Vite understand that.
// Vite 7's default build target (baseline-widely-available browsers) has
// top-level await, so vite-plugin-top-level-await is not needed.
export default {
  plugins: [wasm()],
};
