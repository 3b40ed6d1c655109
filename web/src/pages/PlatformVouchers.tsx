import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useSession } from '../api/session';
import { RequireUser } from '../components/RequireUser';
import { VoucherPanel } from '../seller/SellerVouchers';

function OperatorVouchers() {
  const { t } = useTranslation();
  const { user } = useSession();
  return (
    <section className="stack" aria-labelledby="platform-vouchers-title">
      <h1 id="platform-vouchers-title">{t('vouchers.platformTitle')}</h1>
      {user?.roles.includes('operator') ? (
        <VoucherPanel endpoint="/api/commerce/vouchers" intro={t('vouchers.platformIntro')} listTitle={t('vouchers.platformList')} />
      ) : (
        <div className="card stack">
          <p>{t('vouchers.operatorsOnly')}</p>
          <p>
            <Link to="/seller/voucher">{t('vouchers.toShopVouchers')}</Link>
          </p>
        </div>
      )}
    </section>
  );
}

export default function PlatformVouchers() {
  return (
    <RequireUser>
      <OperatorVouchers />
    </RequireUser>
  );
}
