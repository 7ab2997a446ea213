-- Sample billing data: @n customers of a city's utility (Hangzhou-like
-- grids), with realistic zh-CN names, mainland mobile numbers in E.164,
-- e-mail addresses, app push tokens, three monthly bills each, and a payment
-- behaviour per customer (demo_behaviour) that scripts/demo.sh plays out
-- night by night with sql/demo/pay.sql.
--
-- Set before sourcing: @n (customers), @seed (any text), @start (the first
-- business date of the demo, a DATE), @on_time (share paying on time, e.g.
-- 0.55). The rest is split among the late behaviours in fixed proportions.
-- Deterministic: the same variables give the same data.

CREATE TABLE IF NOT EXISTS demo_behaviour (
  account_no VARCHAR(32) NOT NULL PRIMARY KEY,
  behaviour  VARCHAR(16) NOT NULL,
  lag_days   INT NOT NULL,
  hold_on    DATE NULL,
  luck       DOUBLE NOT NULL
) ENGINE=InnoDB;

-- Eight uniform numbers in [0, 1) per customer, from two MD5s.
CREATE TEMPORARY TABLE gen (
  n INT NOT NULL PRIMARY KEY,
  r1 DOUBLE, r2 DOUBLE, r3 DOUBLE, r4 DOUBLE,
  r5 DOUBLE, r6 DOUBLE, r7 DOUBLE, r8 DOUBLE
) ENGINE=InnoDB;

INSERT INTO gen
SELECT seq,
  CONV(SUBSTR(h1, 1, 8), 16, 10) / 4294967296,
  CONV(SUBSTR(h1, 9, 8), 16, 10) / 4294967296,
  CONV(SUBSTR(h1, 17, 8), 16, 10) / 4294967296,
  CONV(SUBSTR(h1, 25, 8), 16, 10) / 4294967296,
  CONV(SUBSTR(h2, 1, 8), 16, 10) / 4294967296,
  CONV(SUBSTR(h2, 9, 8), 16, 10) / 4294967296,
  CONV(SUBSTR(h2, 17, 8), 16, 10) / 4294967296,
  CONV(SUBSTR(h2, 25, 8), 16, 10) / 4294967296
FROM (SELECT seq, MD5(CONCAT(@seed, ':a:', seq)) AS h1,
             MD5(CONCAT(@seed, ':b:', seq)) AS h2
      FROM seq_1_to_100000000 WHERE seq <= @n) s;

-- Customers. r1 surname, r2 given name, r3 segment, r4 grid, r5 behaviour.
INSERT INTO billing_customers (account_no, name, locale, segment, grid_id, dunning_hold)
SELECT CONCAT('33', LPAD(n, 8, '0')),
  CASE
    WHEN r3 < 0.92 THEN CONCAT(
      ELT(1 + FLOOR(r1 * 100),
        '王','李','张','刘','陈','杨','黄','赵','吴','周','徐','孙','马','朱','胡','郭','何','高','林','罗',
        '郑','梁','谢','宋','唐','许','韩','冯','邓','曹','彭','曾','肖','田','董','袁','潘','于','蒋','蔡',
        '余','杜','叶','程','苏','魏','吕','丁','任','沈','姚','卢','姜','崔','钟','谭','陆','汪','范','金',
        '石','廖','贾','夏','韦','付','方','白','邹','孟','熊','秦','邱','江','尹','薛','闫','段','雷','侯',
        '龙','史','陶','黎','贺','顾','毛','郝','龚','邵','万','钱','严','覃','武','戴','莫','孔','向','汤'),
      ELT(1 + FLOOR(r2 * 50),
        '伟','芳','娜','敏','静','丽','强','磊','军','洋','勇','艳','杰','娟','涛','明','超','霞','平','刚',
        '桂','英','华','建','国','红','文','斌','玉','兰','辉','鹏','宇','浩','婷','雪','琳','晨','欣','博',
        '佳','子','梓','涵','轩','怡','思','雨','俊','嘉'),
      IF(r6 < 0.6, ELT(1 + FLOOR(r7 * 20),
        '华','明','英','军','平','芳','杰','丽','强','涛','宇','辉','峰','琴','燕','彬','鑫','颖','洁','亮'), ''))
    WHEN r3 < 0.98 THEN CONCAT('杭州',
      ELT(1 + FLOOR(r1 * 10), '明辉','华强','东方','恒通','鑫源','新世纪','嘉禾','瑞丰','天成','博远'),
      ELT(1 + FLOOR(r2 * 8), '贸易','电子','餐饮','物流','商贸','文化','科技','服饰'), '有限公司')
    ELSE CONCAT('浙江',
      ELT(1 + FLOOR(r1 * 8), '钱塘','西子','之江','富春','天目','运河','湘湖','良渚'),
      ELT(1 + FLOOR(r2 * 6), '机械制造','化工','纺织','钢铁','水泥','造纸'), '股份有限公司')
  END,
  IF(r8 < 0.03, 'en', 'zh-CN'),
  CASE WHEN r3 < 0.92 THEN 'residential' WHEN r3 < 0.98 THEN 'commercial' ELSE 'large' END,
  CONCAT(ELT(1 + FLOOR(r4 * 6), 'SC', 'GS', 'XH', 'BJ', 'XS', 'YH'), '-',
         LPAD(1 + FLOOR(r6 * 12), 2, '0')),
  0
FROM gen;

-- Behaviour: on time, or late in one of these proportions of the rest.
INSERT INTO demo_behaviour (account_no, behaviour, lag_days, luck)
SELECT CONCAT('33', LPAD(n, 8, '0')),
  CASE
    WHEN r5 < @on_time THEN 'on_time'
    WHEN r5 < @on_time + (1 - @on_time) * 0.27 THEN 'after_1'
    WHEN r5 < @on_time + (1 - @on_time) * 0.45 THEN 'after_2'
    WHEN r5 < @on_time + (1 - @on_time) * 0.56 THEN 'after_3'
    WHEN r5 < @on_time + (1 - @on_time) * 0.69 THEN 'never'
    WHEN r5 < @on_time + (1 - @on_time) * 0.78 THEN 'partial'
    WHEN r5 < @on_time + (1 - @on_time) * 0.82 THEN 'below_min'
    WHEN r5 < @on_time + (1 - @on_time) * 0.89 THEN 'disputed'
    WHEN r5 < @on_time + (1 - @on_time) * 0.96 THEN 'hold'
    ELSE 'hold_later'
  END,
  1 + FLOOR(r7 * 3), r8
FROM gen;

UPDATE billing_customers c JOIN demo_behaviour b ON b.account_no = c.account_no
SET c.dunning_hold = 1 WHERE b.behaviour = 'hold';

-- Contacts. Everyone has a mobile (holder, priority 1); some add e-mail,
-- a landline for voice calls, or the app. Large customers also list their
-- finance and executive contacts. A few have withdrawn consent or have a
-- mistyped number in billing.
INSERT INTO billing_contacts (contact_id, account_no, channel, address, role, priority, consent)
SELECT n * 10 + 1, CONCAT('33', LPAD(n, 8, '0')), 'sms',
  IF(r8 > 0.990 AND r8 <= 0.995,
     CONCAT('+86', LPAD(FLOOR(r2 * 100000000), 8, '0')),          -- mistyped: 10 digits short
     CONCAT('+86', ELT(1 + FLOOR(r1 * 30),
       '134','135','136','137','138','139','150','151','152','157','158','159','182','183','187',
       '188','130','131','132','155','156','185','186','133','153','180','181','189','177','199'),
       LPAD(FLOOR(r2 * 100000000), 8, '0'))),
  'holder', 1, IF(r8 > 0.995, 0, 1)
FROM gen;

INSERT INTO billing_contacts (contact_id, account_no, channel, address, role, priority, consent)
SELECT n * 10 + 2, CONCAT('33', LPAD(n, 8, '0')), 'email',
  CONCAT(ELT(1 + FLOOR(r1 * 100),
    'wang','li','zhang','liu','chen','yang','huang','zhao','wu','zhou','xu','sun','ma','zhu','hu','guo','he','gao','lin','luo',
    'zheng','liang','xie','song','tang','xu','han','feng','deng','cao','peng','zeng','xiao','tian','dong','yuan','pan','yu','jiang','cai',
    'yu','du','ye','cheng','su','wei','lv','ding','ren','shen','yao','lu','jiang','cui','zhong','tan','lu','wang','fan','jin',
    'shi','liao','jia','xia','wei','fu','fang','bai','zou','meng','xiong','qin','qiu','jiang','yin','xue','yan','duan','lei','hou',
    'long','shi','tao','li','he','gu','mao','hao','gong','shao','wan','qian','yan','qin','wu','dai','mo','kong','xiang','tang'),
    '.', ELT(1 + FLOOR(r2 * 50),
    'wei','fang','na','min','jing','li','qiang','lei','jun','yang','yong','yan','jie','juan','tao','ming','chao','xia','ping','gang',
    'gui','ying','hua','jian','guo','hong','wen','bin','yu','lan','hui','peng','yu','hao','ting','xue','lin','chen','xin','bo',
    'jia','zi','zi','han','xuan','yi','si','yu','jun','jia'),
    MOD(n, 1000), '@', ELT(1 + FLOOR(r6 * 3), 'example.com', 'example.net', 'example.org')),
  'holder', 2, IF(r8 > 0.995, 0, 1)
FROM gen WHERE r4 < 0.40 OR r3 >= 0.92;

INSERT INTO billing_contacts (contact_id, account_no, channel, address, role, priority, consent)
SELECT n * 10 + 3, CONCAT('33', LPAD(n, 8, '0')), 'voice',
  CONCAT('+86571', LPAD(FLOOR(r7 * 100000000), 8, '0')), 'holder', 3, IF(r8 > 0.995, 0, 1)
FROM gen WHERE r6 < 0.15;

INSERT INTO billing_contacts (contact_id, account_no, channel, address, role, priority, consent)
SELECT n * 10 + 4, CONCAT('33', LPAD(n, 8, '0')), 'push',
  CONCAT('fcm:', MD5(CONCAT(@seed, ':p:', n)), MD5(CONCAT(@seed, ':q:', n))),
  'holder', 4, IF(r8 > 0.995, 0, 1)
FROM gen WHERE r7 < 0.20;

INSERT INTO billing_contacts (contact_id, account_no, channel, address, role, priority, consent)
SELECT n * 10 + 5, CONCAT('33', LPAD(n, 8, '0')), 'email',
  CONCAT('finance', MOD(n, 1000), '@example.com'), 'finance', 5, 1
FROM gen WHERE r3 >= 0.98;

INSERT INTO billing_contacts (contact_id, account_no, channel, address, role, priority, consent)
SELECT n * 10 + 6, CONCAT('33', LPAD(n, 8, '0')), 'sms',
  CONCAT('+86139', LPAD(FLOOR(r5 * 100000000), 8, '0')), 'executive', 6, 1
FROM gen WHERE r3 >= 0.98;

-- Three monthly bills: the period two months before @start (due in the
-- month before it), the one before, and @start's month. The oldest is
-- already paid by on-time payers and disputed by disputing ones; the rest
-- are paid, or not, as the nights go by (sql/demo/pay.sql).
INSERT INTO billing_bills (bill_id, account_no, period, amount_due, amount_paid, due_date, status)
SELECT CONCAT('B', a.account_no, '-', DATE_FORMAT(a.start - INTERVAL (2 - m.k) MONTH, '%Y%m')),
  a.account_no,
  DATE_FORMAT(a.start - INTERVAL (2 - m.k) MONTH, '%Y-%m'),
  ROUND(a.amount * (0.8 + 0.4 * a.v * (m.k + 1) / 3), 2),
  IF(m.k = 0 AND a.behaviour = 'on_time', ROUND(a.amount * (0.8 + 0.4 * a.v / 3), 2), 0),
  DATE_ADD(LAST_DAY(a.start - INTERVAL (2 - m.k) MONTH), INTERVAL a.due_day DAY),
  CASE WHEN m.k = 0 AND a.behaviour = 'on_time' THEN 'paid'
       WHEN m.k = 0 AND a.behaviour = 'disputed' THEN 'disputed'
       ELSE 'open' END
FROM (SELECT CONCAT('33', LPAD(g.n, 8, '0')) AS account_no, @start AS start,
             5 + FLOOR(g.r4 * 20) AS due_day, b.behaviour, g.r5 AS v,
             ROUND(CASE WHEN g.r3 < 0.92 THEN 40 + g.r2 * 560
                        WHEN g.r3 < 0.98 THEN 500 + g.r2 * 19500
                        ELSE 20000 + g.r2 * 780000 END, 2) AS amount
      FROM gen g JOIN demo_behaviour b ON b.account_no = CONCAT('33', LPAD(g.n, 8, '0'))) a
CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2) m;

DROP TEMPORARY TABLE gen;
