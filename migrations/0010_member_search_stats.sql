-- Fragment search (q=) estimates LIKE '%…%' selectivity from the column histograms. With the
-- default 100 buckets a card-number fragment matching a few dozen of 200,000 members was
-- sometimes estimated at thousands and planned as a sequential scan; 1,000 buckets keep the
-- estimate near the truth, so the trigram indexes are chosen.
ALTER TABLE members ALTER COLUMN name SET STATISTICS 1000;
ALTER TABLE members ALTER COLUMN phone SET STATISTICS 1000;
ALTER TABLE members ALTER COLUMN card_no SET STATISTICS 1000;
