import { isLanguage, type Language } from '../../scenarios/format.ts';
import { flag, type ParsedArgs, UsageError } from '../args.ts';

/** --lang, else SVC_LABS_LANG, else Chinese when the locale is Chinese, else English. */
export function language(args: ParsedArgs): Language {
  const asked = flag(args, 'lang') ?? process.env.SVC_LABS_LANG;
  if (asked !== undefined) {
    if (!isLanguage(asked)) throw new UsageError(`--lang takes en or zh-CN, not "${asked}"`);
    return asked;
  }
  return /^zh/i.test(process.env.LC_ALL || process.env.LANG || '') ? 'zh-CN' : 'en';
}
