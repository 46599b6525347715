// Copies the explorer page's HTML and CSS next to its compiled TypeScript (dist/serve/page/),
// the folder `celens serve` serves (npm run build runs this after tsc).
import { copyFileSync, mkdirSync } from 'node:fs';

const from = 'src/serve/page';
const to = 'dist/serve/page';
mkdirSync(to, { recursive: true });
for (const f of ['index.html', 'style.css']) copyFileSync(`${from}/${f}`, `${to}/${f}`);
