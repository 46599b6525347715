/** TREC SGML documents and topics (vaswani NPL as Terrier ships it). */
import { parseTrecDocs, parseTrecTopicsSgml } from '../../src/ir/formats/npl.js';
import { onlyCelensErrors } from '../oracle.js';

export const dictionary = ['<DOC>\n', '</DOC>\n', '<DOCNO>', '</DOCNO>', '<top>\n', '</top>\n', '<num>', '</num>', '<title>', '</title>', '<desc>', '<narr>', 'Number:', 'Topic:', '<TEXT>'];

export async function fuzz(data: Buffer): Promise<void> {
  const text = data.toString('utf8');
  await onlyCelensErrors(() => parseTrecDocs(text, 'doc-text.trec'));
  await onlyCelensErrors(() => parseTrecTopicsSgml(text, 'query-text.trec'));
}
