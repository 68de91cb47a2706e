/** The script-tag build of the NPS prompt (`dist/uptake-nps.min.js`); see `registerWidget`. */
import { openNps } from './nps-widget.js';
import { registerWidget } from './tag.js';

registerWidget('nps', openNps);
