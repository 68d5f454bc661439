// The widget ids, from the catalogue the build publishes (dist/embed/widgets.json).
import fs from 'node:fs';
import path from 'node:path';
import { DIST } from './helpers.js';

export const CATALOG = JSON.parse(fs.readFileSync(path.join(DIST, 'embed/widgets.json'), 'utf8'));
export const WIDGET_IDS = CATALOG.widgets.map((w) => w.id);
