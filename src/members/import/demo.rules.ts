import type { AttributeDef } from '../attributes.rules.js';

/**
 * Realistic, reproducible demo members: Chinese names drawn by surname frequency, valid and
 * unique mobile numbers, birthdays, stores, tags, attribute values and join dates. The same
 * seed gives the same people, which the benchmark relies on to load identical rows twice.
 */

/** mulberry32: small, fast, good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The most common surnames, most frequent first (王, 李, 张 and 刘 alone cover a quarter of
// the population); a few compound ones at the tail.
const SURNAMES = [
  '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '高', '罗',
  '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹', '彭', '曾', '肖', '田', '董', '潘', '袁', '蔡', '蒋', '余',
  '于', '杜', '叶', '程', '魏', '苏', '吕', '丁', '任', '卢', '姚', '沈', '钟', '姜', '崔', '谭', '陆', '范', '汪', '廖',
  '石', '金', '韦', '贾', '夏', '付', '方', '邹', '熊', '白', '孟', '秦', '邱', '侯', '江', '尹', '薛', '闫', '段', '雷',
  '龙', '黎', '史', '陶', '贺', '毛', '郝', '顾', '龚', '邵', '万', '覃', '武', '钱', '戴', '严', '欧阳', '司马', '上官', '诸葛',
];
const MALE = '伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林洋峰建国志文博晨轩睿哲宏毅'.split('');
const FEMALE = '芳娜敏静丽艳娟霞秀英婷雪琳玲燕红慧颖倩丹洁莉萍瑶佳怡欣悦琪璐萱涵梦晶蕾薇月'.split('');

/** Mobile prefixes that libphonenumber accepts as CN mobile (see row.rules MobileCache). */
export const MOBILE_PREFIXES = [
  '130', '131', '132', '133', '134', '135', '136', '137', '138', '139', '145', '147', '150', '151', '152', '153', '155', '156',
  '157', '158', '159', '166', '172', '173', '175', '176', '177', '178', '180', '181', '182', '183', '184', '185', '186', '187',
  '188', '189', '191', '193', '195', '196', '197', '198', '199',
];

export const DEMO_TAGS = ['老客', '午市', '晚市', '外卖', '学生', '白领', '亲子', '会员日', '生日月', '高消费', '团购', '企业客户'];

export interface DemoStore {
  code: string;
  name: string;
}

export const DEMO_STORES: DemoStore[] = [
  { code: 'BJ01', name: '北京朝阳店' },
  { code: 'SH01', name: '上海静安店' },
  { code: 'GZ01', name: '广州天河店' },
  { code: 'SZ01', name: '深圳南山店' },
  { code: 'HZ01', name: '杭州西湖店' },
  { code: 'CD01', name: '成都锦江店' },
];

export const DEMO_ATTRIBUTES: (Omit<AttributeDef, 'required'> & { required: false })[] = [
  { key: 'taste', label: '口味偏好', type: 'single', required: false, options: ['清淡', '微辣', '麻辣', '甜口'] },
  { key: 'channel', label: '来源渠道', type: 'single', required: false, options: ['到店', '朋友推荐', '大众点评', '美团', '小红书', '公众号'] },
  { key: 'interests', label: '兴趣', type: 'multi', required: false, options: ['美食', '旅行', '运动', '读书', '亲子', '音乐'] },
  { key: 'callback', label: '接受回访', type: 'boolean', required: false, options: [] },
];

// An affine map k → (A·k + B) mod 10^8 is a permutation of 0..10^8-1 when A is coprime to
// 10 (odd, not a multiple of 5): numbers look random and never repeat.
const A = 54_435_761;
const SPACE = 100_000_000;

/**
 * The i-th demo mobile number (national form) of a seed: unique for i below 45 × 10^8.
 * @example demoMobile(0, 1) → '130…' (11 digits)
 */
export function demoMobile(i: number, seed: number): string {
  const prefix = MOBILE_PREFIXES[i % MOBILE_PREFIXES.length]!;
  const k = Math.floor(i / MOBILE_PREFIXES.length);
  const body = (Number((BigInt(A) * BigInt(k)) % BigInt(SPACE)) + (seed * 7_919) % SPACE) % SPACE;
  return prefix + String(body).padStart(8, '0');
}

const pad = (n: number) => String(n).padStart(2, '0');

export interface DemoOptions {
  seed: number;
  stores: readonly DemoStore[];
  defs: readonly AttributeDef[];
  /** join dates spread over the years before this instant */
  now: Date;
}

/** The header of demo rows: importable as is (every column maps by its name). */
export function demoHeader(defs: readonly AttributeDef[]): string[] {
  return ['手机号', '姓名', '性别', '生日', '门店编码', '标签', '注册时间', ...defs.map((d) => `attributes.${d.key}`)];
}

function attributeCell(def: AttributeDef, r: () => number): string {
  if (!def.required && r() < 0.2) return ''; // not everyone fills in everything (required ones always)
  switch (def.type) {
    case 'single':
      return def.options[Math.floor(r() * def.options.length)] ?? '';
    case 'multi':
      return def.options.filter(() => r() < 0.3).join('|') || (def.options[0] ?? '');
    case 'boolean':
      return r() < 0.6 ? '是' : '否';
    case 'number':
      return String(Math.floor(r() * 100));
    case 'date': {
      const d = new Date(Date.UTC(2015, 0, 1) + Math.floor(r() * 3650) * 86_400_000);
      return d.toISOString().slice(0, 10);
    }
    default:
      return ['靠窗', '安静', '带宝宝', '常点套餐', '不要香菜'][Math.floor(r() * 5)]!;
  }
}

/**
 * Generates rows `from` … `from + count - 1` (cells in `demoHeader` order). Row i depends on
 * the seed and i only, so a file can be written in parts and written again identically.
 */
export function* demoRows(from: number, count: number, opts: DemoOptions): Generator<string[]> {
  const nowMs = opts.now.getTime();
  for (let i = from; i < from + count; i++) {
    const r = prng(opts.seed * 1_000_003 + i);
    const female = r() < 0.55;
    // surnames: a Zipf-like draw, the first few far more common
    const surname = SURNAMES[Math.floor(SURNAMES.length * r() ** 2.2)]!;
    const pool = female ? FEMALE : MALE;
    const given = pool[Math.floor(r() * pool.length)]! + (r() < 0.7 ? pool[Math.floor(r() * pool.length)]! : '');
    const year = 1955 + Math.floor(51 * Math.sqrt(r()));
    const birthday = r() < 0.85 ? `${year}-${pad(1 + Math.floor(r() * 12))}-${pad(1 + Math.floor(r() * 28))}` : '';
    const store = opts.stores.length && r() < 0.9 ? opts.stores[Math.floor(r() * opts.stores.length)]!.code : '';
    const tags = DEMO_TAGS.filter(() => r() < 0.12).join('|');
    const joined = new Date(nowMs - Math.floor(r() * 3 * 365 * 86_400_000) - 3_600_000);
    const joinedText = `${joined.getUTCFullYear()}-${pad(joined.getUTCMonth() + 1)}-${pad(joined.getUTCDate())} ${pad(joined.getUTCHours())}:${pad(joined.getUTCMinutes())}:${pad(joined.getUTCSeconds())}`;
    const gender = r() < 0.95 ? (female ? '女' : '男') : '';
    yield [demoMobile(i, opts.seed), surname + given, gender, birthday, store, tags, joinedText, ...opts.defs.map((d) => attributeCell(d, r))];
  }
}
