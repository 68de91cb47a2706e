/** The script-tag build of the campaign messages (`dist/uptake-messages.min.js`); see `registerWidget`. */
import { openMessage } from './messages-widget.js';
import { registerWidget } from './tag.js';

registerWidget('messages', openMessage);
