#!/bin/sh
# Import the shipped figures from ONS's own workbooks into data/, as `generate.py data import` does for any
# new release: GVA and population from the May 2021 and May 2022 regional GDP releases, productivity, jobs
# and hours from the June 2024 subregional productivity release (local authorities and ITL regions).
# Usage: scripts/import-ons-releases.sh [FOLDER WITH THE WORKBOOKS]   (default ../shared/data/raw/ons)
set -eu
raw=${1:-../shared/data/raw/ons}
run() { python generate.py data import "$@" --years 2017-; }
ons="Office for National Statistics"
gdp_url="https://www.ons.gov.uk/economy/grossdomesticproductgdp/datasets/regionalgrossdomesticproductlocalauthorities"
la_url="https://www.ons.gov.uk/employmentandlabourmarket/peopleinwork/labourproductivity/datasets/subregionalproductivitylabourproductivityindicesbylocalauthoritydistrict"
itl_url="https://www.ons.gov.uk/employmentandlabourmarket/peopleinwork/labourproductivity/datasets/subregionalproductivitylabourproductivityindicesbyinternationalterritoriallevelitlregions"

for release in 2021-05:2021-05-26:2019 2022-05:2022-05-30:2020; do
  IFS=: read -r file published last <<END
$release
END
  year=${file%-*}
  run "$raw/regional-gdp-local-authorities-$file.xlsx" --sheet "Table 1" --measure gva \
    --source "ons-gva-la-$year" --publisher "$ons" --published "$published" --url "$gdp_url" \
    --title "Regional gross domestic product: local authorities (Table 1, GVA(B) at current basic prices), 1998 to $last"
  run "$raw/regional-gdp-local-authorities-$file.xlsx" --sheet "Table 6" --measure population \
    --source "ons-population-la-$year" --publisher "$ons" --published "$published" --url "$gdp_url" \
    --title "Regional gross domestic product: local authorities (Table 6, resident population), 1998 to $last"
done

for sheet_measure in "A3:gva_per_hour" "A1:gva_per_hour_index" "B3:gva_per_filled_job" \
    "Productivity Jobs:filled_jobs" "Productivity Hours:hours"; do
  sheet=${sheet_measure%:*}
  measure=${sheet_measure#*:}
  run "$raw/subregional-productivity-local-authorities-2024-06.xls" --sheet "$sheet" --measure "$measure" \
    --source ons-productivity-la-2024 --publisher "$ons" --published 2024-06 --url "$la_url" \
    --title "Subregional productivity: labour productivity indices by local authority district (Tables A1, A3, B3, Productivity Jobs, Productivity Hours)"
  run "$raw/subregional-productivity-itl-2024-06.xls" --sheet "$sheet" --measure "$measure" \
    --source ons-productivity-itl-2024 --publisher "$ons" --published 2024-06 --url "$itl_url" \
    --title "Subregional productivity: labour productivity indices by ITL region (England, Wales, Scotland and UK rows)"
done
