/** The script-tag build of the progress card (`dist/uptake-progress.min.js`); see `registerWidget`. */
import { openProgress } from './progress-widget.js';
import { registerWidget } from './tag.js';

registerWidget('progress', (options) => openProgress(options));
